set(work ${BUILD}/install-check)
# A sanitizer build installs instrumented libraries: the consumer must link
# the same runtime.
set(san_flags "")
if(SANITIZE)
  set(san_flags "-fsanitize=${SANITIZE}")
endif()
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}\n${out}\n${err}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${work}/prefix)
file(WRITE ${work}/src/CMakeLists.txt
  "cmake_minimum_required(VERSION 3.20)\nproject(consumer C)\n"
  "find_package(hipc 0.1 REQUIRED)\nadd_executable(consumer ${SRC}/consumer.c)\n"
  "target_link_libraries(consumer PRIVATE hipc::hipc)\n")
run(${CMAKE_COMMAND} -S ${work}/src -B ${work}/b -DCMAKE_PREFIX_PATH=${work}/prefix
    -DCMAKE_C_COMPILER=${CC} "-DCMAKE_C_FLAGS=${san_flags}"
    "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}")
run(${CMAKE_COMMAND} --build ${work}/b)
run(${work}/b/consumer)
# pkg-config: relocatable .pc file
execute_process(COMMAND pkg-config --cflags --libs hipc
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
set(ENV{PKG_CONFIG_PATH} ${work}/prefix/lib/pkgconfig)
execute_process(COMMAND pkg-config --cflags --libs hipc
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not find hipc")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CC} ${san_flags} ${SRC}/consumer.c ${flags} -o ${work}/consumer-pc)
run(${work}/consumer-pc)
