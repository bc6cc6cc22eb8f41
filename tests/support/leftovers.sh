#!/usr/bin/env bash
# leftovers.sh RUN_ID - the suite's last test (a CTest FIXTURES_CLEANUP, so
# it runs after every other test, also under -j): fails when a process of
# this run is still alive, names it, and kills it.
#
# Every test gets SIPC_TEST_RUN=RUN_ID in its environment from CMake, and
# every process a test starts inherits it, whatever group or session it
# moves to.  This test's own environment lacks it (the id comes as the
# argument), and marked.sh skips itself and its ancestors, so the check
# cannot find the shell that runs it.
set -u
id=${1:?usage: leftovers.sh RUN_ID}
unset SIPC_TEST_RUN SIPC_TEST_SCRIPT
scale=${SIPC_TEST_SCALE:-1}
marked() { bash "$(dirname "$0")/marked.sh" "SIPC_TEST_RUN=$id" $$; }

# A process killed by the last test may still be on its way out (an ASan
# build prints its report first): give them a bounded moment.
left=$(marked)
for ((i = 0; i < 100 * scale && ${#left} > 0; i++)); do
	sleep 0.05
	left=$(marked)
done
if [ -z "$left" ]; then
	echo "ok: no process of this test run is left"
	exit 0
fi
echo "FAIL: processes of this test run outlived their tests:" >&2
for p in $left; do
	args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
	test=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^SIPC_TEST_NAME=//p')
	echo "  pid $p ppid $(awk '{print $4}' "/proc/$p/stat" 2>/dev/null) from ${test:-?}: $args" >&2
done
kill -TERM $left 2>/dev/null
for ((i = 0; i < 40 * scale; i++)); do
	[ -z "$(marked)" ] && break
	sleep 0.05
done
left=$(marked)
[ -n "$left" ] && kill -KILL $left 2>/dev/null
echo "killed them" >&2
exit 1
