# cmake -DBUILD=dir [-DCONFIG=c] -P include_check.cmake
# A header of a layer rproc does not name is out of its users' reach, and
# one of rproc's own is not: the failure is the missing header, nothing else.
function(build target result output)
  set(cfg)
  if(CONFIG)
    set(cfg --config ${CONFIG})
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD} ${cfg} --target ${target}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${result} ${rc} PARENT_SCOPE)
  set(${output} "${out}${err}" PARENT_SCOPE)
endfunction()

build(hipc_layers_rproc_sees_rproc rc out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "hipc/rproc.h does not compile with hipc_rproc's "
    "include directories, so the other half of this test proves nothing:\n${out}")
endif()
build(hipc_layers_rproc_sees_remote rc out)
if(rc EQUAL 0)
  message(FATAL_ERROR "hipc/remote.h compiles with hipc_rproc's include "
    "directories: rproc can see the firmware runtime")
endif()
if(NOT out MATCHES "hipc/remote\\.h.*(No such file|not found)")
  message(FATAL_ERROR "the build failed, but not for the missing header:\n${out}")
endif()
message(STATUS "rproc sees hipc/rproc.h and not hipc/remote.h")
