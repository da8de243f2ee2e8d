#!/bin/bash
# UDP out and in, on loopback only: raw and framed transfers at a rate (IPv4, IPv6, a host
# name), a relay that drops, duplicates, reorders and corrupts datagrams by seed (the
# receiver's counts checked against the relay's), --repeat recovering a lossy link, and the
# errors: a name that does not resolve, a port in use, nobody listening, nobody sending.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

want=$(pattern_file $((2 * MiB)))

# ---- clean transfers ---------------------------------------------------------------
udp_receiver raw --idle-timeout 1 udp://127.0.0.1:0
tp -L 40MB -o "udp://127.0.0.1:$rx_port" <"$want"
expect_status 0 "raw datagrams out at 40 MB/s"
wait_exit "$rx_pid" 30
expect_status 0 "raw datagrams in, ended by --idle-timeout"
same_file "$T/raw.out" "$want" "raw udp at 40 MB/s"

udp_receiver framed -D --stats=json udp://127.0.0.1:0
tp -F -L 40MB -o "udp://127.0.0.1:$rx_port" <"$want"
expect_status 0 "framed datagrams out at 40 MB/s"
wait_exit "$rx_pid" 30
expect_status 0 "-D ends at END, without --idle-timeout"
same_file "$T/framed.out" "$want" "framed udp at 40 MB/s"
check "framed udp: the kernel dropped nothing" [ "$(json_num kernel_drops "$T/framed.err")" = 0 ]
check "framed udp: the digest was verified" grep -q '"digest_ok":true' "$T/framed.err"

udp_receiver v6 -D 'udp://[::1]:0'
tp -F -L 40MB -o "udp://[::1]:$rx_port" <"$want"
wait_exit "$rx_pid" 30
expect_status 0 "-D over IPv6"
same_file "$T/v6.out" "$want" "framed udp over [::1]"

udp_receiver name -D udp://:0
tp -F -L 40MB -o "udp://localhost:$rx_port" <"$want"
wait_exit "$rx_pid" 30
expect_status 0 "-D on every address, sent to localhost"
same_file "$T/name.out" "$want" "framed udp to a host name"

udp_receiver small -D udp://127.0.0.1:0
tp -F --frame-size 200 -L 10MB -o "udp://127.0.0.1:$rx_port" <"$(pattern_file 300000)"
wait_exit "$rx_pid" 30
expect_status 0 "--frame-size 200"
same_file "$T/small.out" "$(pattern_file 300000)" "framed udp, 200-byte payloads"

# The largest datagrams: one per send, whatever GSO would batch.
big=$(pattern_file 300000)
udp_receiver big --idle-timeout 1 udp://127.0.0.1:0
tp --frame-size 65000 -L 40MB -o "udp://127.0.0.1:$rx_port" <"$big"
expect_status 0 "65000-byte raw datagrams out"
wait_exit "$rx_pid" 30
same_file "$T/big.out" "$big" "65000-byte raw datagrams"
udp_receiver bigf -D udp://127.0.0.1:0
tp -F --frame-size 65000 -L 40MB -o "udp://127.0.0.1:$rx_port" <"$big"
wait_exit "$rx_pid" 30
expect_status 0 "-D, 65000-byte frames"
same_file "$T/bigf.out" "$big" "65000-byte framed datagrams"

# ---- a misbehaving link ----------------------------------------------------------------
# Each fault alone, so that the receiver's counts can be held to the relay's.
udp_receiver corrupt -D --on-gap=skip --stats=json udp://127.0.0.1:0
udp_relay corrupt --seed 11 --corrupt 0.02
tp -F -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 30
expect_status 3 "corrupted datagrams, --on-gap=skip"
wait_exit "$relay_pid" 30
corrupted=$(kv corrupted "$T/corrupt.relay")
refused=$(json_corrupt_total "$T/corrupt.err")
check "corrupted datagrams: the receiver refused exactly the relay's $corrupted ($refused)" \
	[ -n "$corrupted" ] && [ "$corrupted" -gt 0 ] && [ "$refused" = "$corrupted" ]
lost=$(json_num lost_bytes "$T/corrupt.err")
check "corrupted datagrams, skip: output = input - lost bytes ($lost)" \
	[ "$(file_size "$T/corrupt.out")" = $(($(file_size "$want") - ${lost:-0})) ]
check "corrupted datagrams: the loss was reported" grep -q '^tpipe: lost frame' "$T/corrupt.err"

udp_receiver drop -D --on-gap=zero --stats=json udp://127.0.0.1:0
udp_relay drop --seed 5 --drop 0.02
tp -F -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 30
expect_status 3 "dropped datagrams, --on-gap=zero"
wait_exit "$relay_pid" 30
dropped=$(kv dropped "$T/drop.relay")
lf=$(json_num lost_frames "$T/drop.err")
check "dropped datagrams: lost frames ($lf) at most the relay's drops ($dropped), and some" \
	[ "${lf:-0}" -gt 0 ] && [ "$lf" -le "${dropped:-0}" ]
check "dropped datagrams, zero: offsets hold" [ "$(file_size "$T/drop.out")" = "$(file_size "$want")" ]
check "dropped datagrams, zero: only zeros differ" \
	only_zeros_differ "$T/drop.out" "$want"

udp_receiver dup -D --stats=json udp://127.0.0.1:0
udp_relay dup --seed 3 --dup 0.05 --reorder 0.05
tp -F -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 30
expect_status 0 "duplicated and reordered datagrams"
same_file "$T/dup.out" "$want" "duplicated and reordered datagrams"
wait_exit "$relay_pid" 30
d=$(json_num duplicates "$T/dup.err")
r=$(json_num reordered "$T/dup.err")
check "duplicates counted ($d, relay $(kv duplicated "$T/dup.relay"))" \
	[ "${d:-0}" -gt 0 ] && [ "$d" -le "$(kv duplicated "$T/dup.relay")" ]
check "reordering counted ($r, relay $(kv reordered "$T/dup.relay"))" \
	[ "${r:-0}" -gt 0 ] && [ "$r" -le "$(kv reordered "$T/dup.relay")" ]

# --repeat: a link that loses 3 % of datagrams, recovered completely.
udp_receiver repeat -D --stats=json udp://127.0.0.1:0
udp_relay repeat --seed 1 --drop 0.03 --reorder 0.01
tp -F --repeat 2 -L 40MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 30
expect_status 0 "--repeat 2 over a link losing 3 %"
same_file "$T/repeat.out" "$want" "--repeat 2 over a lossy link"
wait_exit "$relay_pid" 30
check "--repeat 2: the relay did drop ($(kv dropped "$T/repeat.relay"))" [ "$(kv dropped "$T/repeat.relay")" -gt 0 ]

# ---- errors --------------------------------------------------------------------------
tp -o udp://no-such-host.invalid:9 </dev/null
expect_status 1 "a host name that does not resolve"
expect_stderr_line '^tpipe: udp://no-such-host.invalid:9: ' "a host name that does not resolve"

udp_receiver busy udp://127.0.0.1:0 --idle-timeout 5
tp "udp://127.0.0.1:$rx_port" </dev/null
expect_status 1 "an input port already in use"
expect_stderr_line 'Address already in use' "an input port already in use"
stop_child "$rx_pid"
wait_exit "$rx_pid" 10

# Nobody listening: sending goes on, and it is said; a send whose end was refused did not
# get there: status 1. (Small sends too, where no refusal comes back before the last one.)
udp_receiver gone udp://127.0.0.1:0 --idle-timeout 1
wait_exit "$rx_pid" 10
gone=$rx_port
tp -L 20MB -o "udp://127.0.0.1:$gone" <"$want"
expect_status 1 "nobody listening: the sender carries on, and fails at the end"
check "nobody listening: it is said as it happens" grep -q '^tpipe: udp://127.0.0.1:[0-9]*: nobody is listening, or unreachable' "$T/err"
check "nobody listening: the end is said" grep -Eq '^tpipe: udp://127.0.0.1:[0-9]*: nobody is listening: the destination refused the end of the stream \([0-9]+ refusals in all\)$' "$T/err"
printf 'one datagram' >"$T/one"
tp -o "udp://127.0.0.1:$gone" "$T/one"
expect_status 1 "nobody listening, one datagram"
expect_stderr_line 'nobody is listening: the destination refused the end of the stream \(1 refusal in all\)$' "nobody listening, one datagram"
# A receiver there: status 0, nothing said.
udp_receiver there --idle-timeout 1 udp://127.0.0.1:0
tp -o "udp://127.0.0.1:$rx_port" "$T/one"
expect_status 0 "a receiver there: status 0"
expect_stderr_empty "a receiver there"
wait_exit "$rx_pid" 10
# A receiver that comes late: the first datagrams are refused (and said), the end is not:
# status 0, the receiver has the end of the stream.
udp_receiver lateprobe --idle-timeout 0.1 udp://127.0.0.1:0
wait_exit "$rx_pid" 10
late_port=$rx_port
with_timeout "$TMO" "$TPIPE" -L 1MB -o "udp://127.0.0.1:$late_port" "$want" 2>"$T/late.serr" &
tx=$!
track "$tx"
sleep 0.3
with_timeout "$TMO" "$TPIPE" --idle-timeout 1 "udp://127.0.0.1:$late_port" >"$T/late.out" 2>"$T/late.rerr" &
rx_pid=$!
track "$rx_pid"
wait_exit "$tx" 30
status_is 0 "$status" "a receiver that comes late: the sender's status 0" "$T/late.serr"
check "a receiver that comes late: the early refusals were said" grep -q 'nobody is listening, or unreachable' "$T/late.serr"
wait_exit "$rx_pid" 10
check "a receiver that comes late: it got the end of the stream" \
	bash -c 'cmp -s <(tail -c 100000 "$1") <(tail -c 100000 "$2")' _ "$T/late.out" "$want"

# A udp:// input that is the output would pass its datagrams round for ever: refused.
udp_receiver portprobe --idle-timeout 0.1 udp://127.0.0.1:0 # a free port, free again once it ends
wait_exit "$rx_pid" 10
loop_port=$rx_port
for pair in "udp://127.0.0.1:P udp://127.0.0.1:P" "udp://:P udp://127.0.0.1:P" "udp://:P udp://[::1]:P" \
	"udp://0.0.0.0:P udp://127.0.0.9:P" "udp://[::]:P udp://localhost:P"; do
	set -- ${pair//P/$loop_port}
	printf 'x' | with_timeout 10 "$TPIPE" "$1" -o "$2" >/dev/null 2>"$T/err"
	status=$?
	_last_cmd="tpipe $1 -o $2"
	expect_status 1 "input $1, output $2: a loop"
	expect_stderr_line 'input is the output: every datagram would come back in, for ever$' "input $1, output $2"
done
tp --idle-timeout 0.2 "udp://127.0.0.1:$loop_port" -o "udp://127.0.0.2:$loop_port"
expect_status 0 "input on 127.0.0.1, output to 127.0.0.2 (another socket's): no loop"

# -D on a link that lost every END: once data has come, 10 s of quiet end it (status 3,
# and why), without --idle-timeout.
# Beside it, one told --idle-timeout 0 waits on (checked once the first has ended).
udp_receiver forever -D --idle-timeout 0 udp://127.0.0.1:0
forever_pid=$rx_pid
"$TESTDIR/tp-frames" -u "127.0.0.1:$rx_port" meta 1 100000 1444 data 1 0 0 1444
udp_receiver quiet -D udp://127.0.0.1:0
t0=$(date +%s)
"$TESTDIR/tp-frames" -u "127.0.0.1:$rx_port" meta 1 100000 1444 data 1 0 0 1444 data 1 1 1444 1444
# Junk that is no frame, every 2 s for 8 s, must not keep it waiting.
(for i in 1 2 3 4; do sleep 2; printf 'no frame' >"/dev/udp/127.0.0.1/$rx_port"; done) &
junk=$!
track "$junk"
wait_exit "$rx_pid" 40
el=$(($(date +%s) - t0))
expect_status 3 "-D, END lost, no --idle-timeout: ends by itself"
check "-D quiet: after about 10 s from the last frame, junk or not ($el s)" [ "$el" -ge 9 ] && [ "$el" -le 14 ]
wait_exit "$junk" 10
check "-D quiet: said" grep -q '^tpipe: udp://127.0.0.1:0: no data for 10 s: taken as its end (the default wait' "$T/quiet.err"
check "-D quiet: the missing end said" grep -q "^tpipe: lost data: the stream's end is missing, from offset 2888" "$T/quiet.err"
check "-D quiet: the verified data written" [ "$(file_size "$T/quiet.out")" = 2888 ]
check "-D --idle-timeout 0: still waiting after the default 10 s" alive "$forever_pid"
stop_child "$forever_pid" TERM
wait_exit "$forever_pid" 10

# After a complete stream, input that goes on keeps the receiver for 5 s at most.
udp_receiver linger -D udp://127.0.0.1:0
trickle=()
for i in $(seq 100); do trickle+=(meta 2 - 1444 sleep 100); done
"$TESTDIR/tp-frames" -u "127.0.0.1:$rx_port" stream 1 10000 1444 "${trickle[@]}" &
sender=$!
track "$sender"
t0=$(date +%s)
wait_exit "$rx_pid" 30
expect_status 0 "-D, a trickle after the end"
check "-D trickle: ended within about 5 s ($(($(date +%s) - t0)) s), not 10" [ $(($(date +%s) - t0)) -le 8 ]
check "-D trickle: the frames after the end are said" grep -Eq '^tpipe: udp://127.0.0.1:0: [0-9]+ frames after the end, ignored$' "$T/linger.err"
stop_child "$sender"
wait_exit "$sender" 10
# END with data missing: late copies are waited for, but a trickle of copies that never
# brings the missing frames keeps the receiver 5 s at most.
udp_receiver waitend -D udp://127.0.0.1:0
copies=()
for i in $(seq 100); do copies+=(data 1 0 0 1444 sleep 100); done
"$TESTDIR/tp-frames" -u "127.0.0.1:$rx_port" meta 1 3000 1444 data 1 0 0 1444 end 1 3000 3 "${copies[@]}" &
sender=$!
track "$sender"
t0=$(date +%s)
wait_exit "$rx_pid" 30
expect_status 3 "-D, END with data missing, a trickle of other frames"
el=$(($(date +%s) - t0))
check "-D END, data missing, trickle: ended after about 5 s ($el s)" [ "$el" -ge 4 ] && [ "$el" -le 8 ]
check "-D END, data missing: the loss said" grep -q '^tpipe: lost frames 1-2: 1556 bytes at offset 1444$' "$T/waitend.err"
stop_child "$sender"
wait_exit "$sender" 10

# Nobody sending: --idle-timeout ends the wait; with -D nothing could be verified.
udp_receiver idle -D --idle-timeout 0.3 udp://127.0.0.1:0
wait_exit "$rx_pid" 10
expect_status 3 "-D, nobody sending, --idle-timeout"
check "-D, nobody sending: nothing written" [ ! -s "$T/idle.out" ]
udp_receiver idleraw --idle-timeout 0.3 udp://127.0.0.1:0
wait_exit "$rx_pid" 10
expect_status 0 "raw, nobody sending, --idle-timeout"
check "raw, --idle-timeout: said" grep -q '^tpipe: udp://127.0.0.1:0: no data for 0.3 s: taken as its end (--idle-timeout)$' "$T/idleraw.err"

tp -o udp://127.0.0.1:0 </dev/null
expect_status 2 "port 0 as a destination"
tp -o udp://[::1]:9 --append </dev/null
expect_status 2 "--append with udp://"

finish
