# xinetd_import.sh - `sockipc xinetd-import` on the xinetd.d files Debian's
# xinetd package ships (two enabled), on the EXAMPLE of xinetd.conf(5), and
# on a file that uses every attribute the man page describes: each
# attribute's line in the output, the stderr line for each one that is not
# carried over, `serve --check` accepting the result, and the imported echo
# and daytime services actually served (moved to loopback and a free port).
# Then the errors: an unreadable file (exit 1), syntax errors naming
# FILE:LINE (exit 2, nothing on stdout), and hostile input (an include
# loop, /dev/zero, a NUL byte, a huge line) refused at once.
. "$(dirname "$0")/../support/lib.sh"

[ -f /etc/xinetd.d/echo ] || skip "Debian's xinetd package is not installed (tests/support/deps.sh installs it)"

# block NAME FILE: the lines of service NAME's block in FILE.
block() { awk -v n="$1" '$0 == "service " n {on = 1} on {print} on && /^}/ {exit}' "$2"; }
# has NAME FILE LINE: service NAME's block in FILE has LINE (tabs and the
# alignment blanks squeezed: "listen = tcp://...").
has() {
	if block "$1" "$2" | sed -E 's/^\t//; s/ +=/ =/' | grep -qxF -- "$3"; then
		pass "$1: $3"
	else
		fail "$1: no line [$3] in:"
		block "$1" "$2" >&2
	fi
}
# said FILE TEXT: the stderr FILE has a line containing TEXT.
said() { check "stderr: $2" grep -qF -- "$2" "$1"; }

# ---- Debian's own xinetd.d, echo and daytime enabled -----------------------
mkdir "$T/xd"
cp /etc/xinetd.d/* "$T/xd/"
sed -i -E 's/^(\s*disable\s*=\s*)yes/\1no/' "$T/xd/echo" "$T/xd/daytime"
cp "$T/xd/echo" "$T/xd/echo.dpkg-old"   # skipped, as xinetd skips it
cp "$T/xd/echo" "$T/xd/echo~"
printf 'defaults\n{\n}\n\nincludedir %s\n' "$T/xd" >"$T/xinetd.conf"
"$SOCKIPC" xinetd-import "$T/xinetd.conf" >"$T/deb.out" 2>"$T/deb.err"
expect_eq "debian: exit 0" 0 $?
for svc in echo daytime; do
	port=$(getent services "$svc/tcp" | awk '{sub(/\/.*/, "", $2); print $2}')
	has $svc-stream "$T/deb.out" "listen = tcp://0.0.0.0:$port"
	has $svc-stream "$T/deb.out" "run = $svc"
	has $svc-stream "$T/deb.out" "user = root"
	has $svc-stream "$T/deb.out" "disable = no"
	has $svc-dgram "$T/deb.out" "listen = udp://0.0.0.0:$port"
	has $svc-dgram "$T/deb.out" "disable = no"
	# The -udp files repeat the id: written under another name, disabled.
	has $svc-dgram-2 "$T/deb.out" "disable = yes"
	said "$T/deb.err" "$T/xd/$svc-udp:4: service $svc-dgram-2: id '$svc-dgram' written as '$svc-dgram-2'"
done
for svc in chargen discard time; do
	has $svc-stream "$T/deb.out" "run = $svc"
	has $svc-stream "$T/deb.out" "disable = yes"
	has $svc-dgram "$T/deb.out" "disable = yes"
done
said "$T/deb.err" "$T/xd/servers:4: service servers: not converted: xinetd's internal service 'servers' has no sockipc equivalent"
said "$T/deb.err" "$T/xd/services:4: service services: not converted:"
expect_eq "debian: 15 services, nothing from the skipped files" 15 "$(grep -c '^service ' "$T/deb.out")"
check "debian: the heading says xinetd's bind is every address" grep -q "xinetd listens on every address" "$T/deb.out"
expect_eq "debian: one stderr line per thing not carried over" 7 "$(wc -l <"$T/deb.err")"
"$SOCKIPC" serve --check "$T/deb.out" >"$T/deb.check" 2>&1
expect_eq "debian: serve --check accepts the output" 0 $?

# Served: on loopback at free ports, echo answers and daytime tells.
sed -E 's#(tcp|udp)://0\.0\.0\.0:[0-9]+#\1://127.0.0.1:0#' "$T/deb.out" >"$T/run.conf"
bg "$T/run.out" "$SOCKIPC" serve -f "$T/run.conf"
server=$BG_PID
wait_count "$T/run.out" '^listening ' 4 10
expect_eq "served: four endpoints (the enabled ones)" 4 "$(grep -c '^listening ' "$T/run.out")"
tcp_echo=$(awk '$1 == "listening" && $2 ~ /^tcp/ && $3 == "echo" {print $2}' "$T/run.out")
udp_echo=$(awk '$1 == "listening" && $2 ~ /^udp/ && $3 == "echo" {print $2}' "$T/run.out")
tcp_day=$(awk '$1 == "listening" && $2 ~ /^tcp/ && $3 == "daytime" {print $2}' "$T/run.out")
expect_eq "served: echo over tcp" "imported" "$(printf imported | timeout "$(secs 5)" "$SOCKIPC" connect "$tcp_echo")"
expect_eq "served: echo over udp" "imported" "$(timeout "$(secs 5)" "$SOCKIPC" send "$udp_echo" imported)"
check "served: daytime tells the year" bash -c "timeout $(secs 5) '$SOCKIPC' connect '$tcp_day' </dev/null | grep -q $(date +%Y)"
stop_server "served" "$server" "$T/run.out.err"

# ---- the EXAMPLE of xinetd.conf(5), as printed there -------------------------
cat >"$T/example.conf" <<'EOF'
#
# Sample configuration file for xinetd
#

defaults
{
       log_type            = FILE /var/log/servicelog
       log_on_success      = PID
       log_on_failure      = HOST
       only_from           = 128.138.193.0 128.138.204.0
       only_from           = 128.138.252.1
       instances           = 10
       disabled            = rstatd
}

#
# Note 1: the protocol attribute is not required
# Note 2: the instances attribute overrides the default
#
service login
{
       socket_type         = stream
       protocol            = tcp
       wait                = no
       user                = root
       server              = /usr/sbin/in.rlogind
       instances           = UNLIMITED
}

#
# Note 1: the instances attribute overrides the default
# Note 2: the log_on_success flags are augmented
#
service shell
{
       socket_type         = stream
       wait                = no
       user                = root
       instances           = UNLIMITED
       server              = /usr/sbin/in.rshd
       log_on_success      += HOST
}

service ftp
{
       socket_type         = stream
       wait                = no
       nice                = 10
       user                = root
       server              = /usr/sbin/in.ftpd
       server_args         = -l
       instances           = 4
       log_on_success      += DURATION HOST USERID
       access_times        = 2:00-9:00 12:00-24:00
}

# Limit telnet sessions to 8 Mbytes of memory and a total
# 20 CPU seconds for child processes.
service telnet
{
       socket_type         = stream
       wait                = no
       nice                = 10
       user                = root
       server              = /usr/sbin/in.telnetd
       rlimit_as           = 8M
       rlimit_cpu          = 20
}

#
# This entry and the next one specify internal services. Since
# this is the same service using a different socket type, the
# id attribute is used to uniquely identify each entry
#
service echo
{
       id                  = echo-stream
       type                = INTERNAL
       socket_type         = stream
       user                = root
       wait                = no
}

service echo
{
       id                  = echo-dgram
       type                = INTERNAL
       socket_type         = dgram
       user                = root
       wait                = no
}

#
# Sample RPC service
#
service rstatd
{
       type                = RPC
       socket_type         = dgram
       protocol            = udp
       server              = /usr/sbin/rpc.rstatd
       wait                = yes
       user                = root
       rpc_version         = 2-4
       env                 = LD_LIBRARY_PATH=/etc/securelib
}

#
# Sample unlisted service
#
service unlisted
{
       type                = UNLISTED
       socket_type         = stream
       protocol            = tcp
       wait                = no
       server              = /home/user/some_server
       port                = 20020
}
EOF
"$SOCKIPC" xinetd-import "$T/example.conf" >"$T/ex.out" 2>"$T/ex.err"
expect_eq "example: exit 0" 0 $?
E=$T/example.conf
said "$T/ex.err" "$E:7: defaults: attribute 'log_type' not supported: serve writes no log file"
has login "$T/ex.out" "listen = tcp://0.0.0.0:513"
has login "$T/ex.out" "run = exec /usr/sbin/in.rlogind"
has login "$T/ex.out" "instances = UNLIMITED"
has login "$T/ex.out" "only_from = 128.138.193.0/24 128.138.204.0/24 128.138.252.1"
has login "$T/ex.out" "log_on_success = PID"
has login "$T/ex.out" "log_on_failure = HOST"
has shell "$T/ex.out" "log_on_success = PID HOST"
has ftp "$T/ex.out" "run = exec /usr/sbin/in.ftpd -l"
has ftp "$T/ex.out" "nice = 10"
has ftp "$T/ex.out" "instances = 4"
has ftp "$T/ex.out" "access_times = 2:00-9:00 12:00-24:00"
has ftp "$T/ex.out" "log_on_success = PID DURATION HOST"
said "$T/ex.err" "$E:53: service ftp: attribute 'log_on_success' value 'USERID' not supported: sockipc makes no RFC 1413 ident lookups"
has telnet "$T/ex.out" "instances = 10"
has telnet "$T/ex.out" "rlimit_as = 8M"
has telnet "$T/ex.out" "rlimit_cpu = 20"
has echo-stream "$T/ex.out" "listen = tcp://0.0.0.0:7"
has echo-dgram "$T/ex.out" "listen = udp://0.0.0.0:7"
has unlisted "$T/ex.out" "listen = tcp://0.0.0.0:20020"
said "$T/ex.err" "service rstatd: not converted: RPC services (type = RPC) are not supported"
said "$T/ex.err" "service rstatd: attribute 'rpc_version' not supported"
said "$T/ex.err" "$E:111: service unlisted: no user: xinetd refuses a server without one"
has unlisted "$T/ex.out" "disable = yes"
"$SOCKIPC" serve --check "$T/ex.out" >"$T/ex.check" 2>&1
expect_eq "example: serve --check accepts the output" 0 $?
check "example: --check reads the folded defaults back" grep -q "only_from *= 128.138.193.0/24 128.138.204.0/24 128.138.252.1/32" "$T/ex.check"

# ---- every attribute of xinetd.conf(5) -------------------------------------
cat >"$T/every.conf" <<'EOF'
defaults
{
	instances	= 50
	per_source	= 5
	cps		= 25 30
	max_load	= 2.5
	umask		= 022
	groups		= yes
	banner		= /etc/issue.net
	banner_fail	= /etc/refused
	log_type	= SYSLOG daemon info
	log_on_success	= HOST PID
	log_on_failure	= HOST USERID
	no_access	= 10.9.0.0
	passenv		= PATH
	disabled	= off1
	bind		= 0.0.0.0
}

service finger
{
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= nobody
	group		= nogroup
	server		= /usr/sbin/in.fingerd
	server_args	= -w -l
	only_from	= 127.0.0.1 10.0.0.0 192.168.{1,2} 172.16.0.0/12 ::1 fe80::/10 localhost
	no_access	-= 10.9.0.0
	no_access	+= 10.1.2.3
	access_times	= 08:00-17:30 22:00-02:00
	nice		= -5
	env		= LANG=C TZ=UTC
	env		+= A=1
	passenv		+= HOME
	rlimit_as	= 64M
	rlimit_cpu	= UNLIMITED
	rlimit_files	= 128
	rlimit_data	= 1M
	rlimit_rss	= 1M
	rlimit_stack	= 1M
	log_on_success	+= EXIT DURATION TRAFFIC
	log_on_failure	+= ATTEMPT
	log_on_success	-= PID
	flags		= NODELAY KEEPALIVE NOLIBWRAP REUSE INTERCEPT NORETRY IDONLY
	banner_success	= /etc/welcome
	deny_time	= 10
	libwrap		= fingerd
	mdns		= yes
	interface	= 127.0.0.1
	port		= 7979
	id		= finger-local
}

service fwd
{
	type		= UNLISTED
	socket_type	= stream
	wait		= no
	port		= 8080
	bind		= ::
	redirect	= 192.0.2.5 80
	flags		= IPv6
}

service time
{
	id		= time-wait
	type		= INTERNAL
	socket_type	= stream
	wait		= yes
	flags		= IPv4
	only_from	= 0
}

service chargen
{
	type		= INTERNAL
	socket_type	= dgram
	wait		= yes
	v6only		= yes
	flags		= IPv6
}

service off1
{
	type		= UNLISTED
	socket_type	= stream
	port		= 7001
	server		= /bin/cat
	user		= nobody
	flags		= NAMEINARGS SENSOR LABELED
	server_args	= cat -u
}

service discard
{
	type		= INTERNAL
	socket_type	= stream
	disable		= yes
	only_from	= .example.com
}

service daytime
{
	type		= INTERNAL
	socket_type	= stream
	no_access	= .example.com
}

service raw1
{
	socket_type	= raw
	port		= 1
	server		= /bin/true
}

service seq1
{
	socket_type	= seqpacket
	port		= 2
	server		= /bin/true
}

service printer
{
	socket_type	= stream
	wait		= yes
	server		= /usr/sbin/lpd
}

service tftp
{
	socket_type	= dgram
	wait		= yes
	server		= /usr/sbin/in.tftpd
}

service udpfwd
{
	type		= UNLISTED
	socket_type	= dgram
	port		= 9999
	redirect	= 192.0.2.5 53
}

service mux
{
	type		= TCPMUX
	socket_type	= stream
	server		= /bin/true
}
EOF
"$SOCKIPC" xinetd-import "$T/every.conf" >"$T/every.out" 2>"$T/every.err"
expect_eq "every attribute: exit 0" 0 $?
V=$T/every.conf
F=finger-local
has $F "$T/every.out" "listen = tcp://127.0.0.1:7979"
has $F "$T/every.out" "run = exec /usr/sbin/in.fingerd -w -l"
has $F "$T/every.out" "user = nobody"
has $F "$T/every.out" "group = nogroup"
has $F "$T/every.out" "groups = yes"
has $F "$T/every.out" "instances = 50"
has $F "$T/every.out" "per_source = 5"
has $F "$T/every.out" "cps = 25 30"
lo=$(getent ahosts localhost | awk '{print $1}' | sort -u | grep -vxE '127.0.0.1|::1' | tr '\n' ' ')
has $F "$T/every.out" "only_from = 127.0.0.1 10.0.0.0/8 192.168.1.0/24 192.168.2.0/24 172.16.0.0/12 ::1 fe80::/10${lo:+ ${lo% }}"
check "$F: localhost resolved, with a comment" grep -q "# only_from: 'localhost' resolved when imported" "$T/every.out"
has $F "$T/every.out" "no_access = 10.1.2.3"
has $F "$T/every.out" "access_times = 08:00-17:30 22:00-02:00"
has $F "$T/every.out" "nice = -5"
has $F "$T/every.out" "umask = 022"
has $F "$T/every.out" "env = LANG=C TZ=UTC A=1"
has $F "$T/every.out" "passenv = PATH HOME"
has $F "$T/every.out" "banner = /etc/issue.net"
has $F "$T/every.out" "rlimit_as = 64M"
has $F "$T/every.out" "rlimit_cpu = UNLIMITED"
has $F "$T/every.out" "rlimit_files = 128"
has $F "$T/every.out" "log_on_success = HOST EXIT DURATION TRAFFIC"
has $F "$T/every.out" "log_on_failure = HOST ATTEMPT"
has $F "$T/every.out" "disable = no"
for a in max_load:6 banner_fail:10 log_type:11; do
	said "$T/every.err" "$V:${a#*:}: defaults: attribute '${a%:*}' not supported:"
done
said "$T/every.err" "$V:13: defaults: attribute 'log_on_failure' value 'USERID' not supported"
said "$T/every.err" "$V:9: defaults: attribute 'banner' carried over in part: sockipc sends it to admitted clients only"
for a in rlimit_data:40 rlimit_rss:41 rlimit_stack:42 banner_success:47 deny_time:48 libwrap:49 mdns:50; do
	said "$T/every.err" "$V:${a#*:}: service $F: attribute '${a%:*}' not supported:"
done
for f in KEEPALIVE INTERCEPT NORETRY IDONLY; do
	said "$T/every.err" "$V:46: service $F: flag '$f' not supported:"
done
check "NOLIBWRAP, REUSE and NODELAY need no line (what sockipc does anyway)" bash -c "! grep -qE \"flag '(NOLIBWRAP|REUSE|NODELAY)'\" '$T/every.err'"
has fwd "$T/every.out" "listen = tcp://[::]:8080"
has fwd "$T/every.out" "run = forward tcp://192.0.2.5:80"
has time-wait "$T/every.out" "listen = tcp://0.0.0.0:37"
has time-wait "$T/every.out" "run = time"
has time-wait "$T/every.out" "instances = 1"
has time-wait "$T/every.out" "only_from = 0.0.0.0/0 ::/0"
has chargen "$T/every.out" "listen = udp6://[::]:19"
has off1 "$T/every.out" "run = exec /bin/cat -u"
has off1 "$T/every.out" "disable = yes"
said "$T/every.err" "service off1: flag 'NAMEINARGS' (argv[0] 'cat') not supported"
said "$T/every.err" "service off1: flag 'SENSOR' not supported"
said "$T/every.err" "service off1: flag 'LABELED' not supported"
has discard "$T/every.out" "disable = yes"
said "$T/every.err" "service discard: attribute 'only_from' value '.example.com' not supported: '.example.com' matched the client's reverse DNS name"
# An unmatched no_access would admit more than xinetd did: disabled.
has daytime "$T/every.out" "disable = yes"
said "$T/every.err" "service daytime: attribute 'no_access' value '.example.com' not supported"
said "$T/every.err" "service raw1: not converted: socket_type 'raw'"
said "$T/every.err" "service seq1: not converted: socket_type 'seqpacket' over IP (SCTP) is not supported"
said "$T/every.err" "service printer: not converted: wait = yes: the server accepts connections itself"
said "$T/every.err" "service tftp: not converted: a datagram server reads its socket itself"
said "$T/every.err" "service udpfwd: not converted: redirect forwards tcp connections"
said "$T/every.err" "service mux: not converted: TCPMUX services"
"$SOCKIPC" serve --check "$T/every.out" >"$T/every.check" 2>&1
expect_eq "every attribute: serve --check accepts the output" 0 $?
check "every attribute: --check shows finger's limits" grep -q "cps *= 25 30" "$T/every.check"

# ---- errors -----------------------------------------------------------------
# errs NAME WANT_RC FILE CMD...: CMD exits WANT_RC within a bounded time,
# printing nothing on stdout; its stderr in FILE.
errs() {
	local name=$1 want=$2 err=$3 rc=0
	shift 3
	timeout "$(secs 10)" "$@" >"$err.out" 2>"$err" || rc=$?
	expect_eq "$name: exit $want" "$want" "$rc"
	expect_eq "$name: nothing on stdout" "" "$(cat "$err.out")"
}
errs "missing file" 1 "$T/e1" "$SOCKIPC" xinetd-import "$T/nonexistent"
check "missing file: named" grep -q "sockipc: xinetd-import: $T/nonexistent: No such file or directory" "$T/e1"
printf 'service echo\n{\n\ttype = INTERNAL\n' >"$T/open.conf"
errs "unclosed block" 2 "$T/e2" "$SOCKIPC" xinetd-import "$T/open.conf"
check "unclosed block: FILE:LINE" grep -q "$T/open.conf:3: the block opened at line 1 is not closed" "$T/e2"
printf 'service echo\n{\n\tsocket_type = stream\n\ttype = INTERNAL\n\tport = seven\n\tinstances = -1\n}\n' >"$T/val.conf"
errs "bad values" 2 "$T/e3" "$SOCKIPC" xinetd-import "$T/val.conf"
check "bad values: port named" grep -q "$T/val.conf:5: service echo: attribute 'port': 'seven' is not a port number" "$T/e3"
check "bad values: instances named" grep -q "$T/val.conf:6: service echo: attribute 'instances':" "$T/e3"
check "bad values: counted" grep -q "sockipc: xinetd-import: 2 errors: nothing written" "$T/e3"
printf 'include %s\n' "$T/loop2.conf" >"$T/loop1.conf"
printf 'include %s\n' "$T/loop1.conf" >"$T/loop2.conf"
errs "include loop" 2 "$T/e4" "$SOCKIPC" xinetd-import "$T/loop1.conf"
check "include loop: named" grep -q "included again while it is being read (an include loop)" "$T/e4"
errs "/dev/zero" 2 "$T/e5" "$SOCKIPC" xinetd-import /dev/zero
check "/dev/zero: bounded" grep -q "/dev/zero: larger than" "$T/e5"
printf 'service echo\n{\n\ttype = INT\0ERNAL\n}\n' >"$T/nul.conf"
errs "NUL byte" 2 "$T/e6" "$SOCKIPC" xinetd-import "$T/nul.conf"
check "NUL byte: FILE:LINE" grep -q "$T/nul.conf:3: NUL byte" "$T/e6"
{ printf 'service echo\n{\n\tonly_from ='; head -c 100000 /dev/zero | tr '\0' ' '; printf 'x\n}\n'; } >"$T/long.conf"
errs "huge line" 2 "$T/e7" "$SOCKIPC" xinetd-import "$T/long.conf"
check "huge line: FILE:LINE" grep -q "$T/long.conf:3: line longer than" "$T/e7"
errs "a usage error" 2 "$T/e8" "$SOCKIPC" xinetd-import --trace "$T/xinetd.conf"

# - is standard input.
"$SOCKIPC" xinetd-import - <"$T/example.conf" >"$T/stdin.out" 2>/dev/null
expect_eq "standard input: exit 0" 0 $?
check "standard input: converted" grep -q "^service telnet$" "$T/stdin.out"

# The default input is /etc/xinetd.conf (with its includedir).
"$SOCKIPC" xinetd-import >"$T/etc.out" 2>/dev/null
expect_eq "default input: exit 0" 0 $?
check "default input: /etc/xinetd.conf and /etc/xinetd.d" grep -q "^# /etc/xinetd.d/echo:[0-9]*: xinetd service echo" "$T/etc.out"

finish
