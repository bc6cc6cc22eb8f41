# serve_privdrop.sh - `user`, `group`, `groups` of `sockipc serve`: bound as
# root, the whole server drops to the one user every service names (its
# /proc status: every uid and gid, the group list; an exec child's `id`),
# unix socket files become that user's and are removed at exit; services
# naming different users keep the server root and each exec child runs as
# its own; an exec block without `user` is refused as root unless it says
# `user = root`; an exec line on the command line warns; not root, another
# user is a usage error with nothing bound; an unknown user names FILE:LINE.
# The supervisor itself drops (a reload binds and reads banners as that
# user: a privileged port or a root-only banner is refused, and says why).
. "$(dirname "$0")/../support/lib.sh"

[ "$(id -u)" = 0 ] || skip "the privilege drop needs root"
need socat setpriv
getent passwd nobody >/dev/null && getent passwd daemon >/dev/null || skip "no users nobody and daemon"

NOBODY="uid=$(id -u nobody)(nobody) gid=$(id -g nobody)($(id -gn nobody)) groups=$(id -g nobody)($(id -gn nobody))"
DAEMON="uid=$(id -u daemon)(daemon) gid=$(id -g daemon)($(id -gn daemon)) groups=$(id -g daemon)($(id -gn daemon))"

talk() { printf '%s' "${2:-}" | timeout $(secs 5) socat -t$(secs 2) - "TCP:127.0.0.1:$(port_of "$1")"; }
# status_ids PID: "Uid Gid Groups" lines of /proc/PID/status, fields joined.
status_ids() { awk '/^(Uid|Gid|Groups):/{ $1 = $1; print }' "/proc/$1/status" | tr '\n' ';'; }

# ---- 1. one user for every service: the whole process drops ----
# The scratch directory is root's (0700); the socket lives in a sticky
# directory of its own, where only its owner may remove it, as in /tmp.
chmod 755 "$T"
mkdir -m 1777 "$T/s"
bg "$T/one" "$SOCKIPC" serve --user nobody \
	-e 'tcp://127.0.0.1:0 exec /usr/bin/id' \
	-e "unix://$T/s/echo.sock echo"
SRV=$BG_PID
wait_count "$T/one" '^listening ' 2 10
U=$(awk 'NR==1{print $2}' "$T/one")
n=$(id -u nobody) g=$(id -g nobody)
expect_eq "server's uids (real, effective, saved, fs) and gids are nobody's" \
	"Uid: $n $n $n $n;Gid: $g $g $g $g;Groups: $g;" "$(status_ids "$SRV")"
expect_eq "the exec child's id" "$NOBODY" "$(talk "$U")"
check "one log line says whom it runs as" grep -qx "sockipc: serve: running as $NOBODY" "$T/one.err"
expect_eq "the running-as line once" 1 "$(grep -c 'running as' "$T/one.err")"
expect_eq "the socket file is nobody's" "nobody" "$(stat -c %U "$T/s/echo.sock")"
expect_eq "echo over the socket" "hi" "$(printf hi | timeout $(secs 5) socat -t$(secs 2) - "UNIX-CONNECT:$T/s/echo.sock")"
check "no warning about root exec (it runs as nobody)" bash -c "! grep -q 'WARNING.*as root' '$T/one.err'"
stop_server "one user" "$SRV" "$T/one.err"
check "the socket file is removed at exit" test ! -e "$T/s/echo.sock"

# ---- 2. groups = yes: the user's supplementary groups ----
# A user of this system with a supplementary group, if there is one.
read -r GU GG < <(awk -F: '$4 != "" { split($4, m, ","); print m[1], $3; exit }' /etc/group)
if [ -n "${GU:-}" ] && id -u "$GU" >/dev/null 2>&1; then
	cat >"$T/groups.conf" <<EOF
service id
{
    listen = tcp://127.0.0.1:0
    run    = exec /usr/bin/id -G
    user   = $GU
    groups = yes
}
EOF
	bg "$T/grp" "$SOCKIPC" serve -f "$T/groups.conf"
	SRV=$BG_PID
	U=$(listening_url "$T/grp" 10)
	got=$(talk "$U")
	check "groups = yes: the child has $GU's group $GG ($got)" bash -c "echo ' $got ' | grep -q ' $GG '"
	check "groups = yes: the server has it too" bash -c "grep '^Groups:' /proc/$SRV/status | grep -qw $GG"
	stop_server "groups" "$SRV" "$T/grp.err"
else
	echo "note: no user with a supplementary group here; groups = yes left unchecked" >&2
fi

# ---- 3. two users: the server stays root, each child is its own ----
cat >"$T/two.conf" <<'EOF'
service as-nobody
{
    listen = tcp://127.0.0.1:0
    run    = exec /usr/bin/id
    user   = nobody
}

service as-daemon
{
    listen = tcp://127.0.0.1:0
    run    = exec /usr/bin/id
    user   = daemon
}
EOF
bg "$T/two" "$SOCKIPC" serve -f "$T/two.conf"
SRV=$BG_PID
wait_count "$T/two" '^listening ' 2 10
expect_eq "the nobody service's child" "$NOBODY" "$(talk "$(awk 'NR==1{print $2}' "$T/two")")"
expect_eq "the daemon service's child" "$DAEMON" "$(talk "$(awk 'NR==2{print $2}' "$T/two")")"
expect_eq "the server stays root" "Uid: 0 0 0 0;Gid: 0 0 0 0;" "$(status_ids "$SRV" | sed 's/Groups:[^;]*;//')"
check "it says why it stays root" grep -q "do not all name the same user: serve stays root" "$T/two.err"
check "no running-as line" bash -c "! grep -q 'running as' '$T/two.err'"
stop_server "two users" "$SRV" "$T/two.err"

# ---- 4. exec as root must say so in a file; a command line warns ----
cat >"$T/noroot.conf" <<'EOF'
# an exec block with no user
service shell
{
    listen = tcp://127.0.0.1:0
    run    = exec /usr/bin/id
}
EOF
rc=0
timeout $(secs 10) "$SOCKIPC" serve -f "$T/noroot.conf" >"$T/nr.out" 2>"$T/nr.err" || rc=$?
expect_eq "exec block without user as root: exit 2" 2 "$rc"
check "the message names FILE:LINE and the service" grep -qF \
	"$T/noroot.conf:2: service shell: exec as root needs 'user = root' to say so" "$T/nr.err"
check "nothing was bound" bash -c "! grep -q '^listening' '$T/nr.out'"
rc=0
"$SOCKIPC" serve --check "$T/noroot.conf" >/dev/null 2>"$T/nrc.err" || rc=$?
expect_eq "serve --check refuses it too" 2 "$rc"
check "serve --check says why" grep -q "exec as root needs 'user = root'" "$T/nrc.err"

sed 's/^{$/{\n    user   = root/' "$T/noroot.conf" >"$T/root.conf"
rc=0
"$SOCKIPC" serve --check "$T/root.conf" >"$T/rc.out" 2>&1 || rc=$?
expect_eq "with user = root: serve --check accepts it" 0 "$rc"
bg "$T/root" "$SOCKIPC" serve -f "$T/root.conf"
SRV=$BG_PID
U=$(listening_url "$T/root" 10)
expect_eq "user = root: the child runs as root" "uid=0(root)" "$(talk "$U" | awk '{print $1}')"
check "user = root: no warning" bash -c "! grep -q WARNING '$T/root.err'"
stop_server "user = root" "$SRV" "$T/root.err"

bg "$T/cl" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 exec /usr/bin/id' -e 'tcp://127.0.0.1:0 exec /bin/true'
SRV=$BG_PID
U=$(listening_url "$T/cl" 10)
expect_eq "a command-line exec line as root runs" "uid=0(root)" "$(talk "$U" | awk '{print $1}')"
expect_eq "and warns once at start" 1 "$(grep -c "WARNING: -e 'tcp://127.0.0.1:0 exec /usr/bin/id': exec runs its programs as root" "$T/cl.err")"
stop_server "command-line exec as root" "$SRV" "$T/cl.err"

# ---- 5. not root: another user is a usage error, nothing half-done ----
rc=0
timeout $(secs 10) setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	"$SOCKIPC" serve --user daemon -e 'tcp://127.0.0.1:0 echo' >"$T/nr2.out" 2>"$T/nr2.err" || rc=$?
expect_eq "as nobody, --user daemon: exit 2" 2 "$rc"
check "it says serve is not root" grep -q "user daemon .*serve runs as uid=$(id -u nobody) .*not root" "$T/nr2.err"
check "nothing was bound" bash -c "! grep -q '^listening' '$T/nr2.out'"
rc=0
timeout $(secs 10) setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	"$SOCKIPC" serve --check "$T/two.conf" >/dev/null 2>"$T/nr3.err" || rc=$?
expect_eq "as nobody, a file naming daemon: serve --check exits 2" 2 "$rc"
check "and names the block" grep -qF "$T/two.conf:8: user daemon" "$T/nr3.err"
# Naming oneself is no change at all.
bg "$T/self" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	"$SOCKIPC" serve --user nobody -e 'tcp://127.0.0.1:0 exec /usr/bin/id'
SRV=$BG_PID
U=$(listening_url "$T/self" 10)
expect_eq "as nobody, --user nobody serves" "$NOBODY" "$(talk "$U")"
stop_server "as nobody, --user nobody" "$SRV" "$T/self.err"

# ---- 6. a user that does not exist: a check error naming FILE:LINE ----
cat >"$T/nouser.conf" <<'EOF'
service x
{
    listen = tcp://127.0.0.1:0
    run    = exec /usr/bin/id
    user   = no-such-user-sipc
}
EOF
rc=0
"$SOCKIPC" serve --check "$T/nouser.conf" >/dev/null 2>"$T/nu.err" || rc=$?
expect_eq "unknown user: serve --check exits 2" 2 "$rc"
check "it names FILE:LINE and the user" grep -qF "$T/nouser.conf:5: attribute 'user': no user 'no-such-user-sipc'" "$T/nu.err"
rc=0
timeout $(secs 10) "$SOCKIPC" serve --user no-such-user-sipc -e 'tcp://127.0.0.1:0 echo' >"$T/nu2.out" 2>"$T/nu2.err" || rc=$?
expect_eq "--user unknown: exit 2" 2 "$rc"
check "nothing was bound" bash -c "! grep -q '^listening' '$T/nu2.out'"

# ---- 7. the supervisor drops too; a reload after the drop ----
# The banner file only root may read: read at start, before the drop, and
# served from memory by every serving process.
printf 'ROOT-ONLY BANNER\r\n' >"$T/rootbanner"
chmod 600 "$T/rootbanner"
cat >"$T/rl.conf" <<EOF
service greet
{
    listen = tcp://127.0.0.1:0
    run    = echo
    user   = nobody
    banner = $T/rootbanner
}
EOF
cp "$T/rl.conf" "$T/rl.orig"
bg "$T/rl" "$SOCKIPC" serve -f "$T/rl.conf"
SRV=$BG_PID
U=$(listening_url "$T/rl" 10)
expect_eq "the supervisor (serve's pid) runs as nobody" \
	"Uid: $n $n $n $n;Gid: $g $g $g $g;Groups: $g;" "$(status_ids "$SRV")"
GEN=$(pgrep -P "$SRV" | head -1)
check "the serving process is a child of it" test -n "$GEN"
expect_eq "and runs as nobody too" \
	"Uid: $n $n $n $n;Gid: $g $g $g $g;Groups: $g;" "$(status_ids "$GEN")"
expect_eq "a banner only root may read, read at start" "ROOT-ONLY BANNER" \
	"$(talk "$U" hi | head -1 | tr -d '\r')"
# A privileged port: nobody cannot bind it; the old configuration stays.
cat >>"$T/rl.conf" <<'EOF'
service low
{
    listen = tcp://127.0.0.1:1
    run    = echo
    user   = nobody
}
EOF
kill -HUP "$SRV"
check "reload of a privileged port after the drop: refused, and why" wait_line "$T/rl.err" \
	'reload: listen tcp://127.0.0.1:1: .*dropped its privileges: a privileged port .*needs a restart.*: kept the running configuration' 10
expect_eq "the old configuration serves on" "ROOT-ONLY BANNER" "$(talk "$U" hi | head -1 | tr -d '\r')"
# A reload re-reads the banner as nobody: refused, and why.
sed 's/^    run    = echo$/    run    = discard/' "$T/rl.orig" >"$T/rl.conf"
kill -HUP "$SRV"
check "a banner root alone may read, on a reload after the drop: refused, and why" \
	wait_line "$T/rl.err" "reload: $T/rl.conf:1: banner $T/rootbanner: Permission denied \(serve runs as uid $n since it dropped its privileges" 10
expect_eq "two refused reloads, no other" 2 "$(grep -c 'kept the running configuration' "$T/rl.err")"
expect_eq "still the one serving process" "$GEN" "$(pgrep -P "$SRV" | tr '\n' ' ' | sed 's/ $//')"
stop_server "reload after the drop" "$SRV" "$T/rl.err"

finish
