# CMake toolchain file: GNU Arm Embedded (arm-none-eabi-gcc) for Cortex-M.
#
#   cmake -S cross -B /tmp/build-m4 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake [-DHIPC_ARM_CPU=cortex-m7]
#
# HIPC_ARM_CPU picks the core (cortex-m4 by default).  A Cortex-M7 build
# also turns on the bare-metal port's data-cache maintenance.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(HIPC_ARM_CPU cortex-m4 CACHE STRING "Cortex-M core: cortex-m4 | cortex-m7 | cortex-m3 | cortex-m33")
set(HIPC_ARM_PREFIX arm-none-eabi- CACHE STRING "Cross tool prefix")

find_program(CMAKE_C_COMPILER ${HIPC_ARM_PREFIX}gcc REQUIRED)
find_program(CMAKE_ASM_COMPILER ${HIPC_ARM_PREFIX}gcc REQUIRED)
find_program(CMAKE_OBJCOPY ${HIPC_ARM_PREFIX}objcopy REQUIRED)
find_program(CMAKE_SIZE ${HIPC_ARM_PREFIX}size REQUIRED)
find_program(CMAKE_NM ${HIPC_ARM_PREFIX}nm REQUIRED)

# Probing the compiler cannot link a program without a board's startup and
# linker script: let try_compile build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The ABI flags go into the *_INIT variables so that every compile and link
# (try_compile included) uses the same multilib; float ABI stays soft so one
# newlib variant serves every core we build for.
set(CMAKE_C_FLAGS_INIT
  "-mcpu=${HIPC_ARM_CPU} -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=${HIPC_ARM_CPU} -mthumb")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-mcpu=${HIPC_ARM_CPU} -mthumb -Wl,--gc-sections")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")

# Never pick up host headers or libraries.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
