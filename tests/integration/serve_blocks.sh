# serve_blocks.sh - configuration files with xinetd-style blocks: one
# block with several `listen` URLs serves each of them, `run` starts the
# service with its arguments, a block named after a service needs no
# `run`, a disabled block binds nothing, blocks and one-line service lines
# mix in one file, and `serve --check` prints the effective configuration
# (exit 0) or names FILE:LINE and the attribute (exit 2) without binding.
. "$(dirname "$0")/../support/lib.sh"
need socat

cat >"$T/blocks.conf" <<EOF
# blocks and a plain line in one file
defaults
{
    instances = 40
}

tcp://127.0.0.1:0 discard

service echo
{
    listen = tcp://127.0.0.1:0 udp://127.0.0.1:0
    listen += unix://$T/echo.sock
    per_source = 9
}

service upper
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/sh -c "tr a-z A-Z"
    user   = $(id -un)   # as root, an exec block says whom it runs as
}

service off
{
    listen  = tcp://127.0.0.1:1
    run     = echo
    disable = yes
}
EOF

# --check: the effective configuration, nothing bound.
rc=0
timeout "$(secs 10)" "$SOCKIPC" serve --check "$T/blocks.conf" >"$T/check.out" 2>"$T/check.err" || rc=$?
expect_eq "--check of a valid file: exit 0" 0 "$rc"
check "--check: the echo block with its three URLs" \
	grep -q "listen             = tcp://127.0.0.1:0 udp://127.0.0.1:0 unix://$T/echo.sock" "$T/check.out"
check "--check: per_source as written, instances from defaults" \
	bash -c "sed -n '/^service echo/,/^}/p' '$T/check.out' | grep -q 'per_source *= 9' &&
		sed -n '/^service echo/,/^}/p' '$T/check.out' | grep -q 'instances *= 40'"
check "--check: defaults filled in (cps, log fields)" \
	bash -c "grep -q 'cps *= UNLIMITED' '$T/check.out' && grep -q 'log_on_success *= HOST DURATION TRAFFIC' '$T/check.out'"
check "--check: the disabled block is shown as disabled" grep -q "disable *= yes" "$T/check.out"
check "--check: bound nothing" test ! -e "$T/echo.sock"
# What --check prints is itself a valid file.
rc=0
"$SOCKIPC" serve --check "$T/check.out" >"$T/check2.out" 2>"$T/check2.err" || rc=$?
expect_eq "--check of --check's output: exit 0" 0 "$rc"
check "--check's output reads back to the same" \
	diff <(grep -v '^#' "$T/check.out") <(grep -v '^#' "$T/check2.out")

# Serving it: one listening line per URL, the disabled block not bound.
bg "$T/srv" "$SOCKIPC" serve -f "$T/blocks.conf"
srv=$BG_PID
wait_count "$T/srv" '^listening ' 5 10 || fail "five listening lines"
check "no listening line for the disabled block" bash -c "! grep -q ':1 echo' '$T/srv'"
expect_eq "listening lines" 5 "$(grep -c '^listening ' "$T/srv")"
tcp_echo=$(awk '$3 == "echo" && $2 ~ /^tcp:/ {print $2}' "$T/srv")
udp_echo=$(awk '$3 == "echo" && $2 ~ /^udp:/ {print $2}' "$T/srv")
upper=$(awk '$3 == "exec" {print $2}' "$T/srv")
expect_eq "tcp echo from the block" "hello" \
	"$(printf hello | timeout "$(secs 5)" socat -t2 - "TCP:${tcp_echo#tcp://}")"
expect_eq "udp echo from the block" "dgram" \
	"$(printf dgram | timeout "$(secs 5)" socat -t2 - "UDP:${udp_echo#udp://}")"
expect_eq "unix echo from the block" "unix" \
	"$(printf unix | timeout "$(secs 5)" socat -t2 - "UNIX-CONNECT:$T/echo.sock")"
expect_eq "run = exec with its arguments" "SHOUT" \
	"$(printf shout | timeout "$(secs 5)" socat -t2 - "TCP:${upper#tcp://}")"
stop_server "serve -f blocks.conf" "$srv" "$T/srv.err"

# Errors name FILE:LINE and the attribute; nothing is bound.
bad() {
	local name=$1 want=$2 rc=0
	timeout "$(secs 5)" "$SOCKIPC" serve --check "$T/bad.conf" >/dev/null 2>"$T/bad.err" || rc=$?
	expect_eq "$name: exit 2" 2 "$rc"
	check "$name: says '$want'" grep -qF -- "$want" "$T/bad.err"
}
printf 'service a\n{\n    listen = tcp://127.0.0.1:0\n    per_source = lots\n}\n' >"$T/bad.conf"
bad "a bad value" "bad.conf:4: attribute 'per_source': 'lots' is not a whole number"
printf 'service a\n{\n    listen = tcp://127.0.0.1:0\n    run = nosuch\n}\n' >"$T/bad.conf"
bad "an unknown service" "bad.conf:4: unknown service 'nosuch'"
printf 'service a\n{\n    listen = tcp://127.0.0.1:0\n' >"$T/bad.conf"
bad "an open block" "bad.conf:1: the block is not closed"
printf 'service echo\n{\n    listen = udp://127.0.0.1:0\n    run = exec /bin/cat\n}\n' >"$T/bad.conf"
bad "a service on the wrong kind" "bad.conf:4:"
# Hostile bytes in a name or a value: refused, echoed back escaped or cut.
printf 'service a\033[31m\n{\n}\n' >"$T/bad.conf"
bad "an escape in a service name" "bad.conf:1: service name"
check "the escape byte is not printed raw" bash -c "! grep -q $'\033' '$T/bad.err'"

finish
