#!/bin/bash
# TCP in and out, on loopback only: tpipe to tpipe over IPv4, IPv6 and a host name, from 0
# bytes to 50 MB, -F/-D over TCP, mbuffer, socat and nc (netcat-openbsd) as the other end in
# both directions, and the errors: a peer killed mid-stream on either side, a port nobody
# listens on, a name that does not resolve, no port, a listener that starts late, and signals
# while tpipe waits for a connection.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# receiver NAME ARGS...: starts `tpipe --explain ARGS` in the background, output in
# $T/NAME.out and stderr in $T/NAME.err; sets $rx_pid (tpipe's own, for signals: waited for
# with bounds, killed at exit) and $rx_port (from --explain's "listening on" line; ARGS
# should listen on port 0).
receiver() {
	local name=$1
	shift
	listening_receiver tcp "$name" "$TPIPE" --explain "$@"
}

# rx_said FILE: what a receiver said besides --explain's lines.
rx_said() {
	grep -Ev '^tpipe: (engine|chunk size|ring depth|rate|burst|frame size|META|sealing|input: listening on)' "$1"
}

# rx_clean NAME DESC WANT: the receiver NAME ended with status 0, said nothing else, and wrote
# exactly the file WANT.
rx_clean() {
	local name=$1 desc=$2 want=$3
	wait_exit "$rx_pid" "$TMO"
	rx_said "$T/$name.err" >"$T/$name.said"
	expect_status 0 "$desc: the receiver"
	expect_stderr_empty "$desc: the receiver" "$T/$name.said"
	same_file "$T/$name.out" "$want" "$desc"
}

# free_port: a port nothing on this host uses now (nobody listens, nothing connected).
free_port() {
	local p i
	for i in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Htan "( sport = :$p or dport = :$p )" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

command -v ss >/dev/null || { fail "ss (iproute2) is missing: scripts/bootstrap installs it"; finish; }

big=$(pattern_file $((50 * 1000 * 1000)))
mid=$(pattern_file $((3 * MiB + 17)))
one=$(pattern_file 1)
empty=$T/empty
: >"$empty"

# ---- tpipe to tpipe ----------------------------------------------------------------
receiver v4 tcp://127.0.0.1:0
tp -o "tcp://127.0.0.1:$rx_port" <"$big"
expect_status 0 "50 MB to tcp://127.0.0.1"
expect_stderr_empty "50 MB to tcp://127.0.0.1: the sender"
rx_clean v4 "50 MB over IPv4" "$big"

# Sealed frames over TCP.
head -c 32 /dev/urandom >"$T/key" && chmod 600 "$T/key"
receiver sealed -D --key-file "$T/key" tcp://127.0.0.1:0
tp --key-file "$T/key" -o "tcp://127.0.0.1:$rx_port" <"$mid"
expect_status 0 "sealed frames to tcp://127.0.0.1"
rx_clean sealed "sealed frames over TCP" "$mid"

receiver v6 'tcp://[::1]:0'
tp -o "tcp://[::1]:$rx_port" <"$big"
expect_status 0 "50 MB to tcp://[::1]"
rx_clean v6 "50 MB over IPv6" "$big"

# tcp://:PORT listens on every address: IPv4 and IPv6 both reach it, and a host name too.
for dest in 127.0.0.1 '[::1]' localhost; do
	receiver any tcp://:0
	tp -o "tcp://$dest:$rx_port" <"$mid"
	expect_status 0 "tcp://:PORT reached as $dest"
	rx_clean any "tcp://:PORT, sent to $dest" "$mid"
done

for f in "$empty" "$one"; do
	receiver tiny tcp://127.0.0.1:0
	tp -o "tcp://127.0.0.1:$rx_port" <"$f"
	expect_status 0 "$(file_size "$f") bytes over tcp"
	rx_clean tiny "$(file_size "$f") bytes over tcp" "$f"
done

# Each engine on the sender, into a pipe on the receiver (the splice path both ends).
for e in $(engines); do
	: >"$T/eng.err"
	{ "$TPIPE" --explain tcp://127.0.0.1:0 2>"$T/eng.err" | "$TPGEN" check $((20 * MiB))
	  echo "${PIPESTATUS[*]}" >"$T/eng.st"; } &
	job=$!
	track "$job"
	wait_for 10 grep -q 'listening on' "$T/eng.err"
	port=$(sed -n 's/.*listening on tcp:.*:\([0-9]*\)$/\1/p' "$T/eng.err")
	"$TPGEN" gen $((20 * MiB)) | with_timeout "$TMO" "$TPIPE" --explain --engine="$e" \
		-o "tcp://127.0.0.1:$port" 2>"$T/eng.snd"
	status=$?
	expect_status 0 "--engine=$e to tcp://"
	wait_exit "$job" "$TMO"
	check "--engine=$e to tcp://, into a pipe: receiver and checker exit 0" \
		[ "$(cat "$T/eng.st" 2>/dev/null)" = "0 0" ]
	check "--engine=$e: the sender's engine is the one asked for" \
		grep -q "engine: $([ "$e" = auto ] && echo splice || echo "${e/uring/io_uring}")" "$T/eng.snd"
	check "a receiver into a pipe takes the splice path" grep -q 'engine: splice' "$T/eng.err"
done

# ---- frames over TCP -------------------------------------------------------------
receiver framed -D --stats=json tcp://127.0.0.1:0
tp -F -o "tcp://127.0.0.1:$rx_port" <"$big"
expect_status 0 "-F to tcp://"
wait_exit "$rx_pid" "$TMO"
expect_status 0 "-D from tcp://: ends at END, verified"
same_file "$T/framed.out" "$big" "-F | -D over tcp"
check "-D over tcp: the digest was verified" grep -q '"digest_ok":true' "$T/framed.err"

# ---- mbuffer, socat and nc as the other end ------------------------------------------
# peer_in NAME CMD...: CMD sends $mid into a tpipe receiver; @PORT@ in CMD is its port.
peer_in() {
	local name=$1 a=()
	shift
	receiver "$name" tcp://127.0.0.1:0
	for x in "$@"; do a+=("${x//@PORT@/$rx_port}"); done
	with_timeout "$TMO" "${a[@]}" <"$mid" >/dev/null 2>"$T/$name.peer"
	status=$?
	expect_status 0 "$name into tpipe"
	rx_clean "$name" "$name into tpipe" "$mid"
}
# peer_out NAME PORT CMD...: CMD listens on PORT and writes what it gets to $T/NAME.out; tpipe
# sends $mid there (its retries cover the listener's start).
peer_out() {
	local name=$1 port=$2
	shift 2
	with_timeout "$TMO" "$@" >"$T/$name.out" 2>"$T/$name.peer" </dev/null &
	local pid=$!
	track "$pid"
	tp -o "tcp://127.0.0.1:$port" <"$mid"
	expect_status 0 "tpipe into $name"
	expect_stderr_empty "tpipe into $name"
	wait_exit "$pid" "$TMO"
	status_is 0 "$status" "$name after tpipe's stream" "$T/$name.peer"
	same_file "$T/$name.out" "$mid" "tpipe into $name"
}

if command -v mbuffer >/dev/null; then
	peer_in mbuffer-O mbuffer -q -O 127.0.0.1:@PORT@
	p=$(free_port)
	peer_out mbuffer-I "$p" mbuffer -q -I "$p"
else
	skip_missing mbuffer "mbuffer -O / -I as the other end"
fi
if command -v socat >/dev/null; then
	peer_in socat-connect socat -u - TCP:127.0.0.1:@PORT@
	p=$(free_port)
	peer_out socat-listen "$p" socat -u "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr" -
else
	skip_missing socat "socat as the other end"
fi
# OpenBSD's nc by its own name: `nc` may be another netcat that takes other options.
if NC=$(command -v nc.openbsd); then
	peer_in nc-N "$NC" -N 127.0.0.1 @PORT@
	p=$(free_port)
	peer_out nc-l "$p" "$NC" -d -l 127.0.0.1 "$p"
else
	skip_missing netcat-openbsd "nc as the other end"
fi

# ---- a peer killed mid-stream ---------------------------------------------------------
# The receiver dies with data in its socket: the sender gets a reset, one line, status 1.
receiver victim -B 1M tcp://127.0.0.1:0
victim=$rx_pid
"$TPGEN" gen $((1 << 40)) 2>/dev/null | with_timeout "$TMO" "$TPIPE" -o "tcp://127.0.0.1:$rx_port" \
	2>"$T/victim.snd" &
snd=$!
track "$snd"
if wait_for 20 size_at_least "$T/victim.out" $((4 * MiB)); then
	stop_child "$victim" KILL
	wait_exit "$snd" "$TMO"
	expect_status 1 "the sender, its receiver killed"
	expect_stderr_line 'tcp://127\.0\.0\.1:[0-9]+: (Connection reset by peer|Broken pipe)' \
		"the sender, its receiver killed" "$T/victim.snd"
else
	fail "the killed receiver's test: no data arrived"
fi
wait_exit "$victim" 10

# A sender that resets the connection (socat with SO_LINGER 0, killed): one line, status 1.
if command -v socat >/dev/null; then
	receiver reset tcp://127.0.0.1:0
	"$TPGEN" gen $((1 << 40)) 2>/dev/null |
		socat -u - "TCP:127.0.0.1:$rx_port,so-linger=0" 2>/dev/null &
	rst=$!
	track "$rst"
	# The socat at the end of the pipeline is $!: killed while it sends, so it resets.
	if wait_for 20 size_at_least "$T/reset.out" $((4 * MiB)); then
		stop_child "$rst" KILL
		wait_exit "$rx_pid" "$TMO"
		rx_said "$T/reset.err" >"$T/reset.said"
		expect_status 1 "the receiver, its sender reset"
		expect_stderr_line 'tcp://127\.0\.0\.1:[0-9]+: Connection reset by peer' \
			"the receiver, its sender reset" "$T/reset.said"
	else
		fail "the reset sender's test: no data arrived"
	fi
	wait_exit "$rst" 10
else
	skip_missing socat "a sender that resets the connection"
fi

# A tpipe -F sender killed: TCP ends as if it had finished, -D knows better (status 3).
receiver cut -D tcp://127.0.0.1:0
"$TPGEN" gen $((1 << 40)) 2>/dev/null | "$TPIPE" -F -o "tcp://127.0.0.1:$rx_port" 2>/dev/null &
snd=$!
track "$snd"
if wait_for 20 size_at_least "$T/cut.out" $((4 * MiB)); then
	stop_child "$snd" KILL
	wait_exit "$rx_pid" "$TMO"
	expect_status 3 "-D, its -F sender killed"
	check "-D, its -F sender killed: what it wrote is the stream's start" \
		"$TPGEN" check $((1 << 40)) -P <"$T/cut.out"
else
	fail "the killed -F sender's test: no data arrived"
fi
wait_exit "$snd" 10

# ---- bad destinations --------------------------------------------------------------
p=$(free_port)
tp --connect-timeout=1 -o "tcp://127.0.0.1:$p" <"$one"
expect_status 1 "a port nobody listens on"
expect_stderr_line "tcp://127\.0\.0\.1:$p: Connection refused \(for 1 s" "a port nobody listens on"

tp --connect-timeout=0 -o "tcp://127.0.0.1:$p" <"$one"
expect_status 1 "--connect-timeout=0: one try"
expect_stderr_line "tcp://127\.0\.0\.1:$p: Connection refused$" "--connect-timeout=0: one try"

tp -o tcp://no-such-host.invalid:9090 <"$one"
expect_status 1 "a host name that does not resolve"
expect_stderr_line 'tcp://no-such-host\.invalid:9090: ' "a host name that does not resolve"

for bad in tcp://x tcp://x: 'tcp://::1:9' tcp://x:70000; do
	tp -o "$bad" <"$one"
	expect_status 2 "-o $bad"
	expect_stderr_line "$bad" "-o $bad"
done
tp -o tcp://127.0.0.1:0 <"$one"
expect_status 2 "-o tcp:// to port 0"
tp --append -o tcp://127.0.0.1:9 <"$one"
expect_status 2 "--append with -o tcp://"
tp --connect-timeout=soon -o tcp://127.0.0.1:9 <"$one"
expect_status 2 "--connect-timeout=soon"
tp tcp://x
expect_status 2 "an input tcp://x"

# ---- a listener that starts late -------------------------------------------------------
p=$(free_port)
with_timeout "$TMO" "$TPIPE" --connect-timeout=30 -o "tcp://127.0.0.1:$p" <"$mid" 2>"$T/late.snd" &
snd=$!
track "$snd"
# It is retrying: started, and still waiting after one refusal at least.
sleep 0.5
check "the sender waits for a late listener" alive "$snd"
with_timeout "$TMO" "$TPIPE" "tcp://127.0.0.1:$p" >"$T/late.out" 2>"$T/late.err" &
late=$!
track "$late"
wait_exit "$snd" "$TMO"
expect_status 0 "the sender, its listener late"
expect_stderr_empty "the sender, its listener late" "$T/late.snd"
wait_exit "$late" "$TMO"
expect_status 0 "the late listener"
same_file "$T/late.out" "$mid" "a listener that starts late"

# SIGINT while the sender retries: 130, at once.
"$TPIPE" --connect-timeout=60 -o "tcp://127.0.0.1:$p" <"$one" 2>"$T/intr.snd" &
snd=$!
track "$snd"
wait_for 10 catches "$snd" 2
sleep 0.3
stop_child "$snd" INT
wait_exit "$snd" 10
expect_status 130 "SIGINT while the connect is retried"

# ---- signals and --idle-timeout while waiting for a connection -----------------------------
receiver wait tcp://127.0.0.1:0
wait_for 10 catches "$rx_pid" 10
stop_child "$rx_pid" USR1
# shellcheck disable=SC2016 # expanded by eval, in each try
check "SIGUSR1 while waiting for a connection: a status line" \
	wait_for 10 eval 'rx_said "$T/wait.err" | grep -q .'
check "SIGUSR1 while waiting for a connection: it waits on" alive "$rx_pid"
tp -o "tcp://127.0.0.1:$rx_port" <"$mid"
expect_status 0 "a connection after SIGUSR1"
wait_exit "$rx_pid" "$TMO"
expect_status 0 "the receiver after SIGUSR1"
same_file "$T/wait.out" "$mid" "a connection after SIGUSR1"

receiver intr tcp://:0
wait_for 10 catches "$rx_pid" 2
stop_child "$rx_pid" INT
wait_exit "$rx_pid" 10
expect_status 130 "SIGINT while waiting for a connection"
check "SIGINT while waiting: nothing written" [ ! -s "$T/intr.out" ]

receiver idle --idle-timeout 0.3 tcp://127.0.0.1:0
wait_exit "$rx_pid" 20
expect_status 0 "--idle-timeout with nobody connecting"
rx_said "$T/idle.err" >"$T/idle.said"
expect_stderr_line 'no data for 0\.3 s: taken as its end \(--idle-timeout\)' \
	"--idle-timeout with nobody connecting" "$T/idle.said"

finish
