# Build recipes used by the top-level build and by cross/ (written once).

# hipc_core_variant(<target> [DEFS HIPC_CFG_...=v ...] [LINK lib...])
# The freestanding core built again in another configuration of
# hipc/config.h.  The definitions are PUBLIC: whatever links the variant
# sees the configuration its core was built with, without repeating it.
function(hipc_core_variant target)
  cmake_parse_arguments(V "" "" "DEFS;LINK" ${ARGN})
  get_filename_component(core ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../src/core ABSOLUTE)
  add_library(${target} STATIC ${core}/error.c ${core}/memmap.c ${core}/vring.c
    ${core}/mbox.c ${core}/rpmsg.c ${core}/ns.c ${core}/rsc.c
    ${core}/spinlock.c ${core}/bufpool.c)
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${core}/../../include>
           $<BUILD_INTERFACE:${HIPC_GENERATED_INCLUDE_DIR}>
    PRIVATE ${core})
  target_compile_definitions(${target} PUBLIC ${V_DEFS})
  target_compile_options(${target} PRIVATE -ffreestanding)
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:hipc_flags> ${V_LINK})
endfunction()

# hipc_add_cases(<prefix> SOURCES src... COMMAND arg... [TIMEOUT s]
#                [LABELS l...] [ENV k=v...] [LIST_FILE f LIST_NAME n])
# One CTest entry <prefix>.<case> per HIPC_TEST(case) line in SOURCES; the
# command's arguments have @CASE@ replaced by the case's name.  LIST_FILE:
# also append "<LIST_NAME> <case>" lines to f (for scripts that run cases
# without CTest).
function(hipc_add_cases prefix)
  cmake_parse_arguments(T "" "TIMEOUT;LIST_FILE;LIST_NAME" "SOURCES;COMMAND;LABELS;ENV" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  foreach(src ${T_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE)
    file(STRINGS ${abs} lines REGEX "^HIPC_TEST\\(([A-Za-z0-9_]+)\\)")
    foreach(line ${lines})
      string(REGEX REPLACE "^HIPC_TEST\\(([A-Za-z0-9_]+)\\).*" "\\1" case "${line}")
      string(REPLACE "@CASE@" "${case}" cmd "${T_COMMAND}")
      add_test(NAME ${prefix}.${case} COMMAND ${cmd})
      set_tests_properties(${prefix}.${case} PROPERTIES TIMEOUT ${T_TIMEOUT})
      if(T_LABELS)
        set_tests_properties(${prefix}.${case} PROPERTIES LABELS "${T_LABELS}")
      endif()
      if(T_ENV)
        set_tests_properties(${prefix}.${case} PROPERTIES ENVIRONMENT "${T_ENV}")
      endif()
      if(T_LIST_FILE)
        file(APPEND ${T_LIST_FILE} "${T_LIST_NAME} ${case}\n")
      endif()
    endforeach()
  endforeach()
endfunction()

# hipc_layer(<name> SOURCES src... [DEPS layer...] [INTERNAL])
# One layer of the Linux side: a static library hipc_<name> (hipc::<name>,
# installed under the same name) whose public headers are in
# <dir>/include and whose private ones stay in <dir>.  Only the layers
# named in DEPS are linked and their headers visible, so an include or a
# call that goes the wrong way fails the build.  INTERNAL: the layers above
# may also include this layer's private headers (its contract with them;
# never installed).
function(hipc_layer name)
  cmake_parse_arguments(L "INTERNAL" "" "SOURCES;DEPS" ${ARGN})
  set(t hipc_${name})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  add_library(${t} STATIC ${L_SOURCES})
  add_library(hipc::${name} ALIAS ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${name}
    POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
  if(EXISTS ${dir}/include)
    target_include_directories(${t} PUBLIC $<BUILD_INTERFACE:${dir}/include>)
    set_property(GLOBAL APPEND PROPERTY HIPC_PUBLIC_INCLUDE_DIRS ${dir}/include)
  endif()
  if(L_INTERNAL)
    target_include_directories(${t} PUBLIC $<BUILD_INTERFACE:${dir}>)
  else()
    target_include_directories(${t} PRIVATE ${dir})
  endif()
  target_include_directories(${t} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_definitions(${t} PRIVATE _GNU_SOURCE HIPC_BUILDING_LIBRARY)
  set(deps)
  foreach(d ${L_DEPS})
    list(APPEND deps hipc_${d})
  endforeach()
  target_link_libraries(${t} PUBLIC ${deps} PRIVATE $<BUILD_INTERFACE:hipc_flags>)
  # check-layers reads the declared dependencies back (cmake/check_layers.cmake).
  set_property(TARGET ${t} PROPERTY HIPC_LAYER_DEPS ${L_DEPS})
  set_property(GLOBAL APPEND PROPERTY HIPC_LAYERS ${t})
endfunction()
