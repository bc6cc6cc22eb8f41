# mingw-w64.cmake - cross-builds for 64-bit Windows with Debian's mingw-w64
# (gcc-mingw-w64-x86-64), and runs what it builds through Wine, so that
# CTest (and try_run) can start the .exe files: tests/support/windows.sh
# and `make windows` use it.
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DSIPC_WIN_DEPS=build-win/deps
#
# SIPC_WIN_DEPS: a prefix holding what Debian has no mingw package of and
# windows.sh cross-builds (cmocka), searched like the mingw root.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(SIPC_MINGW x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${SIPC_MINGW}-gcc)
set(CMAKE_RC_COMPILER ${SIPC_MINGW}-windres)

set(SIPC_WIN_DEPS "" CACHE PATH "Prefix of the cross-built dependencies (cmocka)")
# The try_compile projects CMake makes while configuring see the variable too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SIPC_WIN_DEPS)
set(CMAKE_FIND_ROOT_PATH /usr/${SIPC_MINGW})
if(SIPC_WIN_DEPS)
  get_filename_component(SIPC_WIN_DEPS_ABS "${SIPC_WIN_DEPS}" ABSOLUTE)
  list(APPEND CMAKE_FIND_ROOT_PATH "${SIPC_WIN_DEPS_ABS}")
endif()
# Programs are the build machine's; headers and libraries only the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# WINEDEBUG=-all: Wine's own "fixme:" lines would land in every test's
# output; no DISPLAY: console programs, headless.  The prefix and the
# server are windows.sh's (wine-start).
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env;-u;DISPLAY;WINEDEBUG=-all;wine)
