set(work ${BUILD}/install-check)
# A sanitizer build installs instrumented libraries: the consumer must link
# the same runtime.
set(san_flags "")
if(SANITIZE)
  set(san_flags "-fsanitize=${SANITIZE}")
endif()
# ... and a coverage build's libraries call gcov's runtime.
if(COVERAGE)
  string(APPEND san_flags " --coverage")
  string(STRIP "${san_flags}" san_flags)
endif()
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ARGN}\n${out}\n${err}")
  endif()
endfunction()
# expect(TEXT NEEDLE WHAT): NEEDLE (taken literally: paths) is in TEXT.
function(expect text needle what)
  string(FIND "${text}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: no \"${needle}\" in:\n${text}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD} --prefix ${work}/prefix)
set(p ${work}/prefix)

# What a target system needs: the tools and the benchmark in bin, the
# simulated firmwares in libexec/hipc, an example configuration, the unit.
foreach(f ${BINDIR}/hipcd ${BINDIR}/hipcctl ${BINDIR}/hipc-ping
    ${BINDIR}/hipc-bench
    ${LIBEXECDIR}/hipc/hipc-fw-echo ${LIBEXECDIR}/hipc/hipc-fw-echo-evt
    ${LIBEXECDIR}/hipc/hipc-fw-lifecycle ${LIBEXECDIR}/hipc/hipc-fw-uml-peer
    ${LIBEXECDIR}/hipc/hipc-fw-bench ${LIBEXECDIR}/hipc/hipc-fw-tty
    ${LIBEXECDIR}/hipc/hipc-fw-raw ${LIBEXECDIR}/hipc/hipc-fw-netpeer
    ${PYTHONDIR}/hipc_rpmsg_char.py)
  if(NOT EXISTS ${p}/${f} OR IS_DIRECTORY ${p}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
if(UNITDIR)
  file(READ ${p}/${UNITDIR}/hipcd.service unit)
  expect("${unit}" "\nExecStart=${FULL_BINDIR}/hipcd -c ${FULL_SYSCONFDIR}/hipc/hipcd.conf -r %t/hipc\n"
    "${UNITDIR}/hipcd.service")
  expect("${unit}" "\nExecReload=/bin/kill -HUP $MAINPID\n" "${UNITDIR}/hipcd.service")
endif()
# The example names the firmwares where the configured prefix puts them;
# here they are under the scratch prefix instead.
file(READ ${p}/${DOCDIR}/hipcd.conf example)
expect("${example}" "\nfirmware = ${FULL_FWDIR}/hipc-fw-echo\n" "${DOCDIR}/hipcd.conf")
string(REPLACE "${FULL_FWDIR}/" "${p}/${LIBEXECDIR}/hipc/" conf "${example}")
file(WRITE ${work}/hipcd.conf "${conf}")
execute_process(COMMAND ${p}/${BINDIR}/hipcd --check ${work}/hipcd.conf
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed hipcd --check on the example: ${rc}\n${out}${err}")
endif()
expect("${out}" "${p}/${LIBEXECDIR}/hipc/hipc-fw-echo\n" "hipcd --check")
run(${p}/${BINDIR}/hipcctl inspect ${p}/${LIBEXECDIR}/hipc/hipc-fw-echo)
# hipc-ping finds the installed firmware from where it is installed, and
# runs (briefly: this is a check, not a measurement).
execute_process(COMMAND ${p}/${BINDIR}/hipc-ping -r 1 -n 100 -m 1000 -M irq
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed hipc-ping: ${rc}\n${out}${err}")
endif()
expect("${out}" "<-> ${p}/${BINDIR}/../${LIBEXECDIR}/hipc/hipc-fw-echo-evt " "hipc-ping")
# hipc-bench finds the installed hipcd and bench firmware the same way,
# and runs a path in process and one through the daemon (briefly).
execute_process(COMMAND ${p}/${BINDIR}/hipc-bench --paths endpoint,socket
    --runs 1 --count 2 --no-limits --csv
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installed hipc-bench: ${rc}\n${out}${err}")
endif()
expect("${out}" "netlink,endpoint,32768,1," "hipc-bench")
expect("${out}" "netlink,socket,32768,1," "hipc-bench")
# The Python module, from where it is installed.
set(ENV{PYTHONPATH} ${p}/${PYTHONDIR})
execute_process(COMMAND python3 -c "import hipc_rpmsg_char as m; print(m.__file__)"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed Python module: ${rc}\n${out}${err}")
endif()
expect("${out}" "${p}/${PYTHONDIR}/hipc_rpmsg_char.py" "python3 import")

# hipc::hipc: the static layers; hipc::shared: libhipc.so; a firmware links
# the firmware runtime only.
file(WRITE ${work}/src/CMakeLists.txt
  "cmake_minimum_required(VERSION 3.20)\nproject(consumer C)\n"
  "find_package(hipc 0.1 REQUIRED)\n"
  "add_executable(consumer ${SRC}/consumer.c)\n"
  "target_link_libraries(consumer PRIVATE hipc::hipc)\n"
  "add_executable(consumer-shared ${SRC}/consumer.c)\n"
  "target_link_libraries(consumer-shared PRIVATE hipc::shared)\n"
  "add_executable(consumer-fw ${SRC}/firmware.c)\n"
  "target_link_libraries(consumer-fw PRIVATE hipc::remote)\n")
run(${CMAKE_COMMAND} -S ${work}/src -B ${work}/b -DCMAKE_PREFIX_PATH=${work}/prefix
    -DCMAKE_C_COMPILER=${CC} "-DCMAKE_C_FLAGS=${san_flags}"
    "-DCMAKE_EXE_LINKER_FLAGS=${san_flags}")
run(${CMAKE_COMMAND} --build ${work}/b)
run(${work}/b/consumer)
run(${work}/b/consumer-shared)
run(${work}/b/consumer-fw --help)
# The shared one really uses libhipc.so.MAJOR from the prefix.
execute_process(COMMAND ldd ${work}/b/consumer-shared OUTPUT_VARIABLE deps)
if(NOT deps MATCHES "libhipc\\.so\\.0 => ${work}/prefix/")
  message(FATAL_ERROR "consumer-shared does not load the installed libhipc.so.0:\n${deps}")
endif()
# libhipc.so exports the API and nothing private (hipc__*).
execute_process(COMMAND nm -D --defined-only ${work}/prefix/lib/libhipc.so
  OUTPUT_VARIABLE syms)
if(NOT syms MATCHES " T hipc_rproc_start\n" OR syms MATCHES " hipc__")
  message(FATAL_ERROR "libhipc.so exports:\n${syms}")
endif()
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
execute_process(COMMAND pkg-config --variable=libdir hipc
  OUTPUT_VARIABLE libdir OUTPUT_STRIP_TRAILING_WHITESPACE)
separate_arguments(san_args UNIX_COMMAND "${san_flags}")
run(${CC} ${san_args} ${SRC}/consumer.c ${flags} -Wl,-rpath,${libdir}
    -o ${work}/consumer-pc)
run(${work}/consumer-pc)
