#!/bin/bash
# Serial lines over pseudo-terminal pairs, with tests/line-emu between them pacing bytes at
# the baud rate and flipping bits by seed: byte-exact on a clean line, --repeat through noise,
# only verified bytes through heavy noise, the termios settings on the device while tpipe
# runs and after, exclusive use, a hang-up, and the errors.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
EMU=$TESTDIR/line-emu


# line NAME ARGS...: starts a line emulator; sets $A (the sender's device), $B (the
# receiver's) and $emu_pid. Stats in $T/NAME.emu.
line() {
	local name=$1
	shift
	# --idle-ms 10000: a sender or receiver held up for seconds on a loaded machine (CI
	# under ASan) is not taken for one that has gone (the default, 2 s, was).
	"$EMU" --paths "$T/$name.paths" --stats "$T/$name.emu" --idle-ms 10000 "$@" &
	emu_pid=$!
	track "$emu_pid"
	A= B=
	if wait_for 10 test -s "$T/$name.paths"; then
		A=$(sed -n 1p "$T/$name.paths")
		B=$(sed -n 2p "$T/$name.paths")
	fi
	[ -c "$A" ] && [ -c "$B" ] || fail "$name: the line emulator did not start"
}

# send_recv NAME SEND_ARGS -- RECV_ARGS: receiver on $B in the background (output
# $T/NAME.out, stderr $T/NAME.rerr), then the sender on $A in the foreground ($status,
# stderr $T/NAME.serr); then waits for the receiver ($rx_status).
send_recv() {
	local name=$1 send=() recv=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do send+=("$1"); shift; done
	shift
	recv=("$@")
	with_timeout "$TMO" "$TPIPE" "${recv[@]}" "$B" -o "$T/$name.out" 2>"$T/$name.rerr" &
	local rx=$! tx_status
	track "$rx"
	# The receiver has opened its side (and flushed it, just after) before anything is sent:
	# what came before would be flushed away.
	wait_for 20 child_has_open "$rx" "$B" || fail "$name: the receiver did not open $B"
	sleep 0.2
	with_timeout "$TMO" "$TPIPE" "${send[@]}" -o "$A" 2>"$T/$name.serr"
	tx_status=$?
	wait_exit "$rx" 60
	rx_status=$status
	status=$tx_status
}

# child_has_open PID PATH: PID or a process below it (tpipe under `timeout` in a background
# subshell) has PATH open.
child_has_open() {
	local c
	has_open "$1" "$2" && return 0
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		child_has_open "$c" "$2" && return 0
	done
	return 1
}

[ -x "$EMU" ] || { fail "tests/line-emu is missing"; finish; }
want=$(pattern_file 30000)

# ---- a clean line -------------------------------------------------------------------------
line clean --baud 115200
send_recv clean -F --baud 115200 "$want" -- -D --baud 115200 --stats=json
status_is 0 "$status" "framed over a clean 115200-baud line: the sender" "$T/clean.serr"
status_is 0 "$rx_status" "framed over a clean 115200-baud line: the receiver" "$T/clean.rerr"
same_file "$T/clean.out" "$want" "framed over a clean 115200-baud line"
check "clean line: the receiver saw END and the digest" grep -q '"digest_ok":true' "$T/clean.rerr"
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

line raw --baud 460800
send_recv raw --baud 460800 "$want" -- --baud 460800 --idle-timeout 5
status_is 0 "$rx_status" "raw bytes over a clean line, ended by --idle-timeout" "$T/raw.rerr"
same_file "$T/raw.out" "$want" "raw bytes over a clean 460800-baud line"
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# ---- noise ---------------------------------------------------------------------------------
line ber5 --baud 460800 --ber 1e-5 --seed 3
send_recv ber5 -F --repeat 2 --baud 460800 "$want" -- -D --baud 460800 --stats=json
status_is 0 "$rx_status" "bit errors at 1e-5, --repeat 2" "$T/ber5.rerr"
same_file "$T/ber5.out" "$want" "bit errors at 1e-5, --repeat 2"
stop_child "$emu_pid"
wait_exit "$emu_pid" 10
check "1e-5: the emulator did flip bits ($(grep -o 'flipped_bits=[0-9]*' "$T/ber5.emu"))" \
	grep -q 'flipped_bits=[1-9]' "$T/ber5.emu"

line ber3 --baud 460800 --ber 1e-3 --seed 4
send_recv ber3 -F --baud 460800 "$want" -- -D --baud 460800 --stats=json --idle-timeout 2
status_is 3 "$rx_status" "bit errors at 1e-3, no repeats: data missing" "$T/ber3.rerr"
n=$(file_size "$T/ber3.out")
check "1e-3: only verified bytes: a prefix of the input ($n bytes)" \
	bash -c '[ "$1" -lt "$3" ] && cmp -s -n "$1" "$2" "$4"' _ "$n" "$T/ber3.out" "$(file_size "$want")" "$want"
c=$(json_corrupt_total "$T/ber3.rerr")
check "1e-3: corrupt frames counted ($c)" [ "${c:-0}" -gt 0 ]
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

line ber3z --baud 460800 --ber 1e-4 --seed 5
send_recv ber3z -F --baud 460800 "$want" -- -D --on-gap=zero --baud 460800 --stats=json --idle-timeout 2
status_is 3 "$rx_status" "bit errors at 1e-4, --on-gap=zero" "$T/ber3z.rerr"
v=$(json_num verified_bytes "$T/ber3z.rerr")
check "1e-4, zero: some frames got through ($v verified bytes)" [ "${v:-0}" -gt 0 ]
check "1e-4, zero: every byte written is the input's, or a zero in a gap" \
	only_zeros_differ "$T/ber3z.out" "$want"
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# The erasure code over a noisy line: 1e-4 hits about one 128-byte frame in nine; 16+8 rebuilds
# a group that lost up to 8 of its 24.
line fec --baud 460800 --ber 1e-4 --seed 6
send_recv fec --fec 16+8 --frame-size 128 --baud 460800 "$want" -- -D --baud 460800 --stats=json --idle-timeout 5
status_is 0 "$rx_status" "bit errors at 1e-4, --fec 16+8" "$T/fec.rerr"
same_file "$T/fec.out" "$want" "bit errors at 1e-4, --fec 16+8"
r=$(json_num fec_repaired "$T/fec.rerr")
check "1e-4, --fec: frames were rebuilt ($r)" [ "${r:-0}" -gt 0 ]
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# Sealed (--key-file) over a noisy line with --fec: repaired, opened, byte-exact.
head -c 32 /dev/urandom >"$T/key" && chmod 600 "$T/key"
line sealed --baud 460800 --ber 1e-5 --seed 7
send_recv sealed --key-file "$T/key" --fec 16+4 --baud 460800 "$want" -- -D --key-file "$T/key" --baud 460800 --stats=json --idle-timeout 5
status_is 0 "$rx_status" "sealed over a serial line at 1e-5" "$T/sealed.rerr"
same_file "$T/sealed.out" "$want" "sealed over a serial line at 1e-5, --fec 16+4"
check "sealed over a serial line: nothing forged" grep -q '"sealed":true,"not_authentic":0' "$T/sealed.rerr"
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# XON/XOFF: the receiving line must not take the data's 0x11 and 0x13 bytes for flow control.
line xon --baud 460800
send_recv xon -F --flow xonxoff --baud 460800 "$want" -- -D --flow xonxoff --baud 460800
status_is 0 "$rx_status" "--flow xonxoff on both ends" "$T/xon.rerr"
same_file "$T/xon.out" "$want" "--flow xonxoff: data with 0x11 and 0x13 bytes"
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# ---- the device's settings -------------------------------------------------------------
# --no-hangup: one tpipe after another opens A here, and between two of them (a slow exit
# under ASan on a loaded machine) the emulator must not take the line as finished and
# vanish after its 2 s idle time; it is stopped below.
line settings --baud 9600 --no-hangup
before=$(stty -F "$A" -g)
# Not under `timeout`: the signals below are for tpipe itself (wait_exit kills it if it hangs).
"$TPIPE" --baud 19200 --flow rtscts -o "$A" <"$want" 2>"$T/settings.err" &
tx=$!
track "$tx"
sleep 0.5
stty -F "$A" -a >"$T/stty" 2>&1
check "while sending: speed 19200" grep -q 'speed 19200 baud' "$T/stty"
for flag in cs8 -parenb -cstopb clocal cread crtscts -icanon -echo -isig -opost -ixon; do
	check "while sending: $flag" grep -Eq "(^| )$flag( |;|$)" "$T/stty"
done
stop_child "$tx" INT # stop reading, drain what is buffered (15 s at 19200 baud) ...
sleep 0.3
stop_child "$tx" INT # ... and the second one exits at once: the settings must still come back
wait_exit "$tx" 10
check "after a double SIGINT: exit 130" [ "$status" = 130 ]
check "after a double SIGINT: the settings are restored" [ "$(stty -F "$A" -g)" = "$before" ]

tp --baud 123457 -o "$A" <"$(pattern_file 100)"
expect_status 0 "a rate with no termios constant (termios2)"
check "afterwards: the settings are restored" [ "$(stty -F "$A" -g)" = "$before" ]
tp --baud 57600 --flow xonxoff -o "serial:$A" <"$(pattern_file 100)"
expect_status 0 "serial:PATH, --flow xonxoff"
check "after a normal end: the settings are restored" [ "$(stty -F "$A" -g)" = "$before" ]

# Exclusive: a second opener is refused while tpipe holds the line (root may open it anyway,
# so the second opener runs as nobody).
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 666 "$A"
	# Not under `timeout`: killing that would leave tpipe holding the line.
	"$TPIPE" --baud 9600 -o "$A" <"$want" 2>/dev/null &
	tx=$!
	track "$tx"
	sleep 0.3
	with_timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TPIPE" -o "$A" </dev/null >/dev/null 2>"$T/excl.err"
	status_is 1 "$?" "a second opener of a line in use" "$T/excl.err"
	check "a second opener: busy" grep -q 'busy' "$T/excl.err"
	stop_child "$tx" KILL
	wait_exit "$tx" 10
elif [ "$(id -u)" = 0 ]; then
	skip_missing setpriv "exclusive use against another user"
else
	skip "exclusive use against another user: needs root"
fi
# The same user (root included, whom TIOCEXCL does not stop): the line's lock refuses a
# second tpipe, which touches nothing, so the first restores the settings as it found them.
before=$(stty -F "$A" -g)
"$TPIPE" --baud 9600 -o "$A" <"$want" 2>"$T/first.err" &
tx=$!
track "$tx"
sleep 0.3
run "$TPIPE" --baud 4800 -o "$A" <"$want"
expect_status 1 "a second tpipe on a line in use, same user"
expect_stderr_line '^tpipe: /dev/pts/[0-9]+: busy: another program has this line open$' "a second tpipe, same user"
run "$TPIPE" -D --baud 4800 "$A" </dev/null
expect_status 1 "a second tpipe reading a line in use"
check "while the first sends: still its speed (the second changed nothing)" \
	bash -c 'stty -F "$1" -a | grep -q "speed 9600 baud"' _ "$A"
stop_child "$tx" TERM
wait_exit "$tx" 20
status_is 143 "$status" "the first tpipe, stopped" "$T/first.err"
run "$TPIPE" --baud 9600 "$A" -o "$A" </dev/null
expect_status 1 "one line as input and output"
expect_stderr_line 'busy: this tpipe has the line open already' "one line as input and output"
check "after both: the settings are as they were" [ "$(stty -F "$A" -g)" = "$before" ]
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# ---- a stop at a slow rate: the drain is bounded --------------------------------------------
# At 50 baud (5 bytes a second) the buffered 30000 bytes would take 100 minutes: after SIGTERM
# tpipe gives up at --drain-timeout (5 s by default), says what it did not write, restores
# the line and exits 143.
line slow --baud 50
before=$(stty -F "$A" -g)
"$TPIPE" --baud 50 -o "$A" <"$want" 2>"$T/slow.err" &
tx=$!
track "$tx"
sleep 0.5
t0=$(date +%s%N)
stop_child "$tx" TERM
wait_exit "$tx" 30
ms=$((($(date +%s%N) - t0) / 1000000))
status_is 143 "$status" "SIGTERM at 50 baud" "$T/slow.err"
check "SIGTERM at 50 baud: ends after the 5 s drain ($ms ms), not 100 minutes" [ "$ms" -ge 4500 ] && [ "$ms" -lt 15000 ]
expect_stderr_line '^tpipe: /dev/pts/[0-9]+: [0-9]+ bytes were not written: the output took longer than --drain-timeout \(5 s\)' "SIGTERM at 50 baud" "$T/slow.err"
check "SIGTERM at 50 baud: the settings restored" [ "$(stty -F "$A" -g)" = "$before" ]
stop_child "$emu_pid"
wait_exit "$emu_pid" 10

# ---- a hang-up ends the receiver -------------------------------------------------------------
line hup --baud 460800
with_timeout "$TMO" "$TPIPE" -D --baud 460800 "$B" -o "$T/hup.out" 2>"$T/hup.err" &
rx=$!
track "$rx"
sleep 0.3
stop_child "$emu_pid" # the line goes away under the receiver
wait_exit "$emu_pid" 10
wait_exit "$rx" 20
status_is 3 "$status" "a hang-up ends -D (nothing verified: exit 3)" "$T/hup.err"

# ---- errors ------------------------------------------------------------------------------------
tp --baud 9600 -o "$T/file" </dev/null
expect_status 2 "--baud with no serial line"
expect_stderr_line 'no serial line' "--baud with no serial line"
tp --flow sometimes -o "$T/file" </dev/null
expect_status 2 "--flow sometimes"
tp --baud 0 -o "$T/file" </dev/null
expect_status 2 "--baud 0"
tp -o serial:/nonexistent/tty </dev/null
expect_status 1 "serial: a path that does not exist"
expect_stderr_line 'serial:/nonexistent/tty: No such file' "serial: a path that does not exist"
tp -o serial:/dev/null </dev/null
expect_status 1 "serial: a device that is no terminal"
expect_stderr_line 'serial:/dev/null: .*(terminal|ioctl)' "serial: a device that is no terminal"

finish
