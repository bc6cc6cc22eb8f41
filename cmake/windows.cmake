# windows.cmake - the Windows build (mingw-w64, cmake/mingw-w64.cmake),
# included by CMakeLists.txt instead of everything Linux-specific there:
# libsockipc as a DLL (with its import library) and a static library, the
# examples that build, and the cmocka tests that run under Wine through
# CTest (`make windows-test`), and sockipc.exe with resolve, send, connect,
# listen and bench (the other subcommands say they are not in this build
# yet).

# The library's sources that do not build for Windows (POSIX system layer,
# AF_UNIX, shm, TLS, descriptor passing): a regex on src/lib/**/*.c paths.
set(SIPC_WIN_LIB_EXCLUDE "/sys/posix/|/transport/(shm|tls)/|/lib/fdpass\\.c$")

# Windows 10 (1803 for AF_UNIX): WSAPoll, inet_ntop and friends.
# _POSIX_THREAD_SAFE_FUNCTIONS: localtime_r and gmtime_r (mingw-w64 time.h).
add_compile_definitions(_WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN _POSIX_THREAD_SAFE_FUNCTIONS)
# Everything in one directory, so that the examples find libsockipc.dll
# beside them under Wine (and on Windows) without copying it around.
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
# libgcc and winpthreads linked in: the programs and the DLL depend on
# system DLLs only (tests/windows/dll.sh checks the DLL's).
add_link_options(-static)
find_package(Threads REQUIRED)

# ---- the library -----------------------------------------------------------
file(GLOB_RECURSE SIPC_LIB_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/lib/*.c)
list(FILTER SIPC_LIB_SOURCES EXCLUDE REGEX "${SIPC_WIN_LIB_EXCLUDE}")
# The sources compile twice: for the DLL with SIPC_BUILDING_DLL (sockipc.h
# marks what it declares __declspec(dllexport)), and plain for the static
# library, whose objects would otherwise carry the export directives into
# every program linked with it (sockipc.exe exported the library's 79
# functions; tests/windows/dll.sh checks that it exports nothing).
add_library(sipc_objs OBJECT ${SIPC_LIB_SOURCES})
target_compile_definitions(sipc_objs PRIVATE SIPC_BUILDING_DLL)
add_library(sipc_objs_static OBJECT ${SIPC_LIB_SOURCES})
foreach(objs sipc_objs sipc_objs_static)
  target_include_directories(${objs} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                     PRIVATE ${PROJECT_SOURCE_DIR}/src/lib)
endforeach()
set(SIPC_WIN_SYSLIBS ws2_32 iphlpapi)

add_library(sockipc_static STATIC $<TARGET_OBJECTS:sipc_objs_static>)
set_target_properties(sockipc_static PROPERTIES OUTPUT_NAME sockipc)
target_include_directories(sockipc_static PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(sockipc_static INTERFACE ${SIPC_WIN_SYSLIBS} Threads::Threads)

# libsockipc.dll and libsockipc.dll.a.  GNU ld exports every global of a
# DLL none of whose objects says __declspec(dllexport); with
# --exclude-all-symbols it exports exactly what sockipc.h marks.
add_library(sockipc_shared SHARED $<TARGET_OBJECTS:sipc_objs>)
set_target_properties(sockipc_shared PROPERTIES OUTPUT_NAME sockipc PREFIX lib
                      IMPORT_PREFIX lib IMPORT_SUFFIX .dll.a)
target_include_directories(sockipc_shared PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(sockipc_shared PRIVATE ${SIPC_WIN_SYSLIBS} Threads::Threads)
target_link_options(sockipc_shared PRIVATE -Wl,--exclude-all-symbols)

# ---- examples: the ones that use only tcp/udp, linked to the DLL -------------
foreach(name echo_client echo_server)
  add_executable(example_${name} ${PROJECT_SOURCE_DIR}/examples/${name}.c)
  set_target_properties(example_${name} PROPERTIES OUTPUT_NAME ${name})
  target_link_libraries(example_${name} PRIVATE sockipc_shared)
endforeach()

# ---- sockipc.exe -------------------------------------------------------------
# The CLI sources that build for Windows: the common files and those of
# resolve, send, connect, listen and bench (src/bench, its --rate ticker
# ticker_win.c), the loop with its poll backend (cli.c names the loop).
# Left out, with what stands in for them:
#  - scan, xinetd-import: src/cli/absent_win.c says "not in the Windows
#    build yet";
#  - program.c, progpool.c (-e, --sh-exec: fork/exec), fdcli.c (--fd,
#    --recv-fd: SCM_RIGHTS), urgent data: refused by name
#    (src/cli/plat_win.c), stand-ins in absent_win.c;
#  - the Linux loop backends (epoll, io_uring, wakefd, default_linux.c);
#  - *_posix.c (src/cli/plat_posix.c: plat_win.c instead).
file(GLOB SIPC_WIN_CLI_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/cli/*.c
     ${PROJECT_SOURCE_DIR}/src/loop/*.c ${PROJECT_SOURCE_DIR}/src/bench/*.c)
set(SIPC_WIN_CLI_EXCLUDE "/cli/(main|scan|scanprobe|portlist|xinetd_import|program|progpool|fdcli)\\.c$|/loop/(backend_epoll|backend_uring|wakefd|default_linux)\\.c$|_posix\\.c$")
list(FILTER SIPC_WIN_CLI_SOURCES EXCLUDE REGEX "${SIPC_WIN_CLI_EXCLUDE}")
# The server: everything but what stands on fork, exec, signals, the
# service manager or xinetd's files, each replaced by a *_win.c (the fork
# model and exec refuse by name; serve/absent_win.c holds the rest).
file(GLOB_RECURSE SIPC_WIN_SERVE_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/serve/*.c)
set(SIPC_WIN_SERVE_EXCLUDE "/serve/(supervisor|handover|inherit|inetd|notify|privdrop|model_fork|xinetd[a-z_]*)\\.c$|/services/(exec|forkexec)\\.c$|_posix\\.c$")
list(FILTER SIPC_WIN_SERVE_SOURCES EXCLUDE REGEX "${SIPC_WIN_SERVE_EXCLUDE}")
add_library(sipc_app STATIC ${SIPC_WIN_CLI_SOURCES} ${SIPC_WIN_SERVE_SOURCES})
target_include_directories(sipc_app PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/src/lib)
target_link_libraries(sipc_app PUBLIC sockipc_static)
add_executable(sockipc ${PROJECT_SOURCE_DIR}/src/cli/main.c)
target_link_libraries(sockipc PRIVATE sipc_app)
# CMake links every mingw executable with --out-implib lib<name>.dll.a:
# for sockipc.exe that is the DLL's own import library, and whichever
# linked last won, so the examples could import their functions from
# sockipc.exe (which exports them: the objects are the DLL's) and crash
# at their first call.  The program's import library gets a name of its
# own (tests/windows/examples.sh checks what the examples import).
set_target_properties(sockipc PROPERTIES IMPORT_SUFFIX .exe.a)

install(TARGETS sockipc sockipc_static sockipc_shared
        RUNTIME DESTINATION bin ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
install(FILES include/sockipc.h DESTINATION include)

# ---- tests -------------------------------------------------------------------
if(NOT SIPC_TESTS)
  return()
endif()
enable_testing()
find_path(CMOCKA_INCLUDE_DIR cmocka.h)
find_library(CMOCKA_LIBRARY NAMES cmocka-static)
if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
  message(FATAL_ERROR "cmocka for mingw not found: tests/support/windows.sh deps BUILD "
                      "cross-builds it (make windows does), then -DSIPC_WIN_DEPS=BUILD/deps")
endif()

# The portable helpers only: support.c's child processes and tlstest.c's
# certificates (bash, openssl) are POSIX.
add_library(sipc_testsupport STATIC ${PROJECT_SOURCE_DIR}/tests/support/support.c
            ${PROJECT_SOURCE_DIR}/tests/support/port.c
            ${PROJECT_SOURCE_DIR}/tests/support/tlstest.c)
target_include_directories(sipc_testsupport PUBLIC ${PROJECT_SOURCE_DIR}/tests/support
                                            ${CMOCKA_INCLUDE_DIR})
target_link_libraries(sipc_testsupport PUBLIC sockipc_static ${CMOCKA_LIBRARY})

# Wine's settings for every test (tests/support/windows.sh uses the same
# prefix): ctest run by hand finds the prefix and server of wine-start.
set(SIPC_WIN_TEST_ENV "WINEPREFIX=${PROJECT_BINARY_DIR}/wine" "WINEDEBUG=-all"
    "WINEDLLOVERRIDES=mscoree,mshtml=" "SIPC_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "SIPC_TEST_SCALE=2")

# The same sources as on Linux; what Windows lacks each reports (and skips)
# by itself.
set(SIPC_WIN_TESTS test_conformance test_timeout test_portable)
foreach(name ${SIPC_WIN_TESTS})
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/unit/${name}.c)
  target_link_libraries(${name} PRIVATE sipc_testsupport)
  # Run by CMAKE_CROSSCOMPILING_EMULATOR: wine, with the prefix and the
  # server of tests/support/windows.sh wine-start.
  add_test(NAME unit/${name} COMMAND ${name})
  set_tests_properties(unit/${name} PROPERTIES TIMEOUT 300
    ENVIRONMENT "${SIPC_WIN_TEST_ENV}")
endforeach()

# What libsockipc.dll exports and imports, read on the build machine.
add_test(NAME windows/dll COMMAND bash ${PROJECT_SOURCE_DIR}/tests/windows/dll.sh
         $<TARGET_FILE:sockipc_shared> ${PROJECT_SOURCE_DIR}/include/sockipc.h
         $<TARGET_FILE:sockipc>)
set_tests_properties(windows/dll PROPERTIES TIMEOUT 60)

# The examples (linked to the DLL) under Wine, driven by bash: lib.sh's
# process handling and bounded waits, as on Linux.
add_test(NAME windows/examples COMMAND bash ${PROJECT_SOURCE_DIR}/tests/windows/examples.sh)
set_tests_properties(windows/examples PROPERTIES TIMEOUT 120
  ENVIRONMENT "${SIPC_WIN_TEST_ENV};SIPC_WIN_BIN=${CMAKE_RUNTIME_OUTPUT_DIRECTORY};SOCKIPC=${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/sockipc.exe")

# sockipc.exe against the Linux sockipc (build/sockipc of `make test`; the
# test skips without it): framed messages, bulk bytes and datagrams both
# ways, resolve, a refused connect, and what is absent on Windows.
add_test(NAME windows/interop COMMAND bash ${PROJECT_SOURCE_DIR}/tests/windows/interop.sh)
set_tests_properties(windows/interop PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
  ENVIRONMENT "${SIPC_WIN_TEST_ENV};SOCKIPC=$<TARGET_FILE:sockipc>;SOCKIPC_LINUX=${PROJECT_SOURCE_DIR}/build/sockipc")

# sockipc.exe bench against the Linux `sockipc serve` echo (tcp, udp, tcp6;
# --json, --rate, --new-conn, --blocking), a closed port, what is refused.
add_test(NAME windows/bench COMMAND bash ${PROJECT_SOURCE_DIR}/tests/windows/bench.sh)
set_tests_properties(windows/bench PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
  ENVIRONMENT "${SIPC_WIN_TEST_ENV};SOCKIPC=$<TARGET_FILE:sockipc>;SOCKIPC_LINUX=${PROJECT_SOURCE_DIR}/build/sockipc")

# sockipc.exe serve with Linux clients: the services, forward, broadcast,
# the thread model, Ctrl-C's drain, and what it refuses by name.
add_test(NAME windows/serve COMMAND bash ${PROJECT_SOURCE_DIR}/tests/windows/serve.sh)
set_tests_properties(windows/serve PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77
  ENVIRONMENT "${SIPC_WIN_TEST_ENV};SOCKIPC=$<TARGET_FILE:sockipc>;SOCKIPC_LINUX=${PROJECT_SOURCE_DIR}/build/sockipc")
