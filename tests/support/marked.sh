# marked.sh NAME=VALUE [PID...] - prints the pids of the live processes whose
# environment holds the line NAME=VALUE, one per line, but for the PIDs
# given, this process and its ancestors (the shell that asks, ctest, a
# developer's shell that happens to export the marker too).
#
# Run it as a program, not inside a function of the asking shell: a fork of
# a shell keeps the shell's environment until it execs something, so a
# subshell of a marked script carries the marker while it looks.  This
# process was exec'd without it (the caller unexports the marker first).
marker=$1
shift
declare -A skip=()
for p in "$@"; do skip[$p]=1; done
p=$$
while [ -n "$p" ] && [ "$p" != 0 ]; do
	skip[$p]=1
	p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)
done
for f in $(grep -lzxF -- "$marker" /proc/[0-9]*/environ 2>/dev/null); do
	p=${f#/proc/}
	p=${p%/environ}
	[ -n "${skip[$p]:-}" ] && continue
	# A zombie has done its work; its parent reaps it.  Field 3 of stat is
	# the state; the name before it may hold spaces, so cut after ')'.
	st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$st" ] || [ "$st" = Z ] && continue
	echo "$p"
done
