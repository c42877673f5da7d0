# cmake -DNM=nm -DLAYERS_FILE=hipc_layers.cmake [-DWITHOUT=layer:dep]
#       [-DSTAMP=file] -P check_layers.cmake
#
# The link-level half of the layering rules (the include-level half is
# hipc_layer() itself: a layer sees only the headers of the layers it
# names).  Every hipc_* / hipc__* symbol a layer's archive leaves undefined
# must be defined in that layer or in a layer it depends on, directly or
# through the layers it names.  A symbol defined in no layer is wrong too:
# a layer never calls up into the program linking it (the port is an ops
# struct handed in, not a symbol the program supplies).
#
# LAYERS_FILE (written by src/CMakeLists.txt) sets HIPC_LAYERS (names as
# hipc_layer() got them, "core" for the core) and, per layer L,
# HIPC_LAYER_ARCHIVE_L and HIPC_LAYER_DEPS_L (its DEPS as declared).
# WITHOUT=L:D checks as if L did not name D: the tests use it to show that
# the check catches a call that goes where it may not.
# STAMP: touched when every rule holds (the build's record that it ran).

cmake_minimum_required(VERSION 3.24)

if(NOT NM OR NOT LAYERS_FILE)
  message(FATAL_ERROR "usage: cmake -DNM=nm -DLAYERS_FILE=f -P check_layers.cmake")
endif()
include(${LAYERS_FILE})

if(WITHOUT)
  string(REPLACE ":" ";" w "${WITHOUT}")
  list(GET w 0 w_layer)
  list(GET w 1 w_dep)
  list(REMOVE_ITEM HIPC_LAYER_DEPS_${w_layer} ${w_dep})
  message(STATUS "check-layers: as if ${w_layer} did not name ${w_dep}")
endif()

# Read every archive once: defined and undefined hipc symbols, per layer.
foreach(l ${HIPC_LAYERS})
  set(a ${HIPC_LAYER_ARCHIVE_${l}})
  execute_process(COMMAND ${NM} -g -A -P ${a}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check-layers: ${NM} failed on ${a}:\n${err}")
  endif()
  # POSIX format with -A: "ARCHIVE[MEMBER]: SYMBOL TYPE [VALUE SIZE]"
  string(REGEX MATCHALL "\\[[^]\n]*\\]: hipc_[A-Za-z0-9_]* [A-Za-z]" lines "${out}")
  set(def_${l})
  set(undef_${l})
  foreach(line ${lines})
    string(REGEX REPLACE "^\\[([^]]*)\\]: ([A-Za-z0-9_]*) ([A-Za-z])$" "\\1;\\2;\\3" f "${line}")
    list(GET f 0 member)
    list(GET f 1 sym)
    list(GET f 2 type)
    if(type MATCHES "^[Uwv]$")
      list(APPEND undef_${l} ${sym})
      if(NOT DEFINED from_${l}_${sym})
        set(from_${l}_${sym} ${member})
      endif()
    else()
      list(APPEND def_${l} ${sym})
      list(APPEND where_${sym} ${l})
    endif()
  endforeach()
endforeach()

# The layers each layer may use: itself and its DEPS, transitively.
foreach(l ${HIPC_LAYERS})
  set(reach ${l})
  set(todo ${HIPC_LAYER_DEPS_${l}})
  while(todo)
    list(POP_FRONT todo d)
    if(NOT d IN_LIST reach)
      if(NOT DEFINED HIPC_LAYER_ARCHIVE_${d})
        message(FATAL_ERROR "check-layers: ${l} names ${d}, which is not a layer")
      endif()
      list(APPEND reach ${d})
      list(APPEND todo ${HIPC_LAYER_DEPS_${d}})
    endif()
  endwhile()
  set(reach_${l} ${reach})
endforeach()

set(errors 0)
foreach(l ${HIPC_LAYERS})
  set(need ${undef_${l}})
  if(need)
    list(REMOVE_DUPLICATES need)
  endif()
  set(allowed ${reach_${l}})
  list(REMOVE_ITEM allowed ${l})
  list(JOIN allowed " " allowed)
  if(NOT allowed)
    set(allowed "nothing")
  endif()
  foreach(s ${need})
    if(s IN_LIST def_${l})
      continue()
    endif()
    set(ok FALSE)
    foreach(w ${where_${s}})
      if(w IN_LIST reach_${l})
        set(ok TRUE)
      endif()
    endforeach()
    if(ok)
      continue()
    endif()
    math(EXPR errors "${errors} + 1")
    if(where_${s})
      list(JOIN where_${s} ", " in)
      message("check-layers: layer ${l} calls ${s} (${from_${l}_${s}}), "
        "defined in layer ${in}, but ${l} may use only: ${allowed}")
    else()
      message("check-layers: layer ${l} calls ${s} (${from_${l}_${s}}), "
        "defined in no layer (a layer does not call up into the program "
        "linking it)")
    endif()
  endforeach()
endforeach()

if(errors GREATER 0)
  message(FATAL_ERROR "check-layers: ${errors} call(s) against the layering; "
    "the allowed dependencies are the DEPS of hipc_layer() in src/*/CMakeLists.txt")
endif()
list(LENGTH HIPC_LAYERS n)
message(STATUS "check-layers: ${n} layers, every hipc call goes down")
if(STAMP)
  file(TOUCH ${STAMP})
endif()
