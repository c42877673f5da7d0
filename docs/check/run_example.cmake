# SPDX-License-Identifier: BSD-3-Clause
# Run one documentation example and check how it ended:
#
#   cmake -DEXIT=N -DOUTPUT=REGEX -DTIMEOUT=S -P run_example.cmake -- PROGRAM ARGS...
#
# EXIT: the exit status it must end with (default 0).  OUTPUT: a regular
# expression its stdout and stderr together must match (default: none).
# TIMEOUT: seconds before it is killed and the test fails (default 20).
# Everything it printed is echoed, so `ctest --output-on-failure` shows it.

if(NOT DEFINED EXIT)
  set(EXIT 0)
endif()
if(NOT TIMEOUT)
  set(TIMEOUT 20)
endif()

set(cmd "")
set(after_dashes OFF)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_dashes)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_dashes ON)
  endif()
endforeach()
if(NOT cmd)
  message(FATAL_ERROR "usage: cmake [-DEXIT=N] [-DOUTPUT=REGEX] [-DTIMEOUT=S] "
    "-P run_example.cmake -- PROGRAM ARGS...")
endif()

execute_process(COMMAND ${cmd}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out
  TIMEOUT ${TIMEOUT})
string(JOIN " " shown ${cmd})
message("$ ${shown}\n${out}(exit status: ${rc})")

if(NOT rc STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit status ${EXIT}, got ${rc}")
endif()
if(NOT "${OUTPUT}" STREQUAL "" AND NOT out MATCHES "${OUTPUT}")
  message(FATAL_ERROR "its output does not match: ${OUTPUT}")
endif()
