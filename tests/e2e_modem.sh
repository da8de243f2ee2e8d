#!/bin/bash
# --protocol: XMODEM and YMODEM against lrzsz (rb, sb, rx, sx) and tpipe itself, over a pair
# of pseudo-terminals that socat joins (an unpaced two-way line): batches, the 8-bit sum and
# CRC-16, 1 KiB blocks, YMODEM-g; then over tests/duplex-emu (115200 baud both ways) with bit
# errors both ways; a sender that goes quiet, SIGINT; a receiver that never answers, one
# that cancels, a block 0 whose name would leave the directory, usage errors.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

for tool in socat rb sb rx sx python3 "$TESTDIR/duplex-emu"; do
	command -v "$tool" >/dev/null || { skip_missing "$tool" "XMODEM and YMODEM peers"; finish; }
done

# pty_pair: a two-way line; $A and $B are its ends, $SOCAT the joiner (tracked).
pty_pair() {
	A=$T/pty-a.$RANDOM B=$T/pty-b.$RANDOM
	socat pty,raw,echo=0,link="$A" pty,raw,echo=0,link="$B" 2>/dev/null &
	SOCAT=$!
	track "$SOCAT"
	wait_for 5 test -e "$B" || fail "socat made no pty pair"
}
end_pair() { stop_child "$SOCAT"; wait "$SOCAT" 2>/dev/null; _untrack "$SOCAT"; }
# The peer starts once tpipe has the line open (tp_serial_open flushes what came before).
line_open() {
	wait_for 5 bash -c 'ls -l /proc/$1/fd 2>/dev/null | grep -q pts' _ "$1" ||
		fail "process $1 did not open its line within 5 s"
}

f1=$(pattern_file 1) f2=$(pattern_file 1500) f3=$(pattern_file $((60 * 1000 + 7)))

# ---- tpipe sends a batch of three to rb --------------------------------------------------
pty_pair
mkdir "$T/rb"
"$TPIPE" --protocol=ymodem --stats=json "$f1" "$f2" "$f3" -o "$A" 2>"$T/tx.err" & tx=$!
track "$tx"
line_open "$tx"
(cd "$T/rb" && with_timeout 60 rb --ymodem <"$B" >"$B" 2>/dev/null)
rb_status=$?
wait_exit "$tx" 60
expect_status 0 "tpipe --protocol=ymodem to rb: a batch of three"
status_is 0 "$rb_status" "rb took the batch"
for f in "$f1" "$f2" "$f3"; do
	same_file "$T/rb/$(basename "$f")" "$f" "rb received $(basename "$f")"
done
check "--stats=json says 3 files" grep -q '"protocol":"ymodem","role":"sender","ok":true,"files":3,' "$T/tx.err"
end_pair

# ---- sb sends two to tpipe ---------------------------------------------------------------
pty_pair
mkdir "$T/in"
"$TPIPE" --protocol=ymodem --stats -f -i 0.2 "$B" -o "$T/in/" 2>"$T/rx.err" & rx=$!
track "$rx"
line_open "$rx"
with_timeout 60 sb "$f2" "$f3" <"$A" >"$A" 2>/dev/null
sb_status=$?
wait_exit "$rx" 60
expect_status 0 "sb to tpipe --protocol=ymodem"
status_is 0 "$sb_status" "sb sent the batch"
same_file "$T/in/$(basename "$f2")" "$f2" "tpipe received from sb"
same_file "$T/in/$(basename "$f3")" "$f3" "tpipe received from sb, trimmed to block 0's size"
check "the summary says 2 files" grep -q '^tpipe: ymodem: received 2 files, 61507 bytes' "$T/rx.err"
check "no temporary file is left" bash -c '[ "$(ls -A "$1" | wc -l)" = 2 ]' _ "$T/in"
check "-f: the progress line reached 100 % of what block 0 announced" grep -q '100%' "$T/rx.err"
end_pair

# A name that is there already is not replaced (as rb without -y), and the transfer stops.
pty_pair
"$TPIPE" --protocol=ymodem "$B" -o "$T/in" 2>"$T/rx.err" & rx=$!
track "$rx"
line_open "$rx"
with_timeout 60 sb "$f2" <"$A" >"$A" 2>/dev/null
wait_exit "$rx" 60
expect_status 1 "a received name that is there already"
check "... is said" grep -q "^tpipe: $(basename "$f2"): a file of that name is there already: not replaced$" "$T/rx.err"
same_file "$T/in/$(basename "$f2")" "$f2" "the file that was there is untouched"
check "no temporary file is left" bash -c '[ "$(ls -A "$1" | wc -l)" = 2 ]' _ "$T/in"
end_pair

# ---- XMODEM: tpipe to rx (8-bit sums), sx to tpipe (CRC-16, and 1 KiB blocks) ------------
pty_pair
"$TPIPE" --protocol=xmodem --idle-timeout 5 --stats=json "$f2" -o "$A" 2>"$T/tx.err" & tx=$!
track "$tx"
line_open "$tx"
(cd "$T" && with_timeout 60 rx x.out <"$B" >"$B" 2>/dev/null)
wait_exit "$tx" 60
# rx flushes its output as it exits (TCIOFLUSH), and on a pty its ACK of EOT can go with it:
# then tpipe says so (status 1), never that all went well unseen.
if [ "$status" = 1 ]; then
	check "rx's lost ACK of EOT is said" grep -q "acknowledged\{0,1\} the end of the file (every block before it was acknowledged)" "$T/tx.err"
else
	expect_status 0 "tpipe --protocol=xmodem to rx"
fi
check "rx received it (padded to 128 bytes)" cmp -s -n 1500 "$T/x.out" "$f2"
check "rx asked for 8-bit sums" grep -q '"crc":false' "$T/tx.err"
end_pair
for proto in xmodem xmodem-1k; do
	pty_pair
	opt=$([ "$proto" = xmodem-1k ] && echo -k)
	"$TPIPE" --protocol=$proto --stats -s 60007 "$B" -o "$T/sx.out" 2>"$T/rx.err" & rx=$!
	track "$rx"
	line_open "$rx"
	# shellcheck disable=SC2086 # opt is one option or none
	with_timeout 60 sx $opt "$f3" <"$A" >"$A" 2>/dev/null
	wait_exit "$rx" 60
	expect_status 0 "sx $opt to tpipe --protocol=$proto -s 60007"
	same_file "$T/sx.out" "$f3" "sx $opt to tpipe: -s cut the padding"
	end_pair
done

# ---- YMODEM-g, tpipe to tpipe ------------------------------------------------------------
pty_pair
mkdir "$T/g"
"$TPIPE" --protocol=ymodem-g --stats "$B" -o "$T/g" 2>"$T/rx.err" & rx=$!
track "$rx"
line_open "$rx"
tp --protocol=ymodem-g --stats "$f2" "$f3" -o "$A"
expect_status 0 "tpipe --protocol=ymodem-g to tpipe"
wait_exit "$rx" 30
expect_status 0 "tpipe received YMODEM-g"
same_file "$T/g/$(basename "$f3")" "$f3" "YMODEM-g"
check "streamed: no NAK, no retry" grep -q ' 0 retries, 0 NAKs' "$T/rx.err"
end_pair

# ---- a paced, noisy two-way line (tests/duplex-emu): 115200 baud, bit errors both ways ----
# emu_line ARGS: $A and $B its ends, $EMU the emulator (tracked).
emu_line() {
	rm -f "$T/emu.paths"
	"$TESTDIR/duplex-emu" --paths "$T/emu.paths" --stats "$T/emu.stats" "$@" &
	EMU=$!
	track "$EMU"
	wait_for 5 test -s "$T/emu.paths" || fail "duplex-emu gave no paths"
	A=$(sed -n 1p "$T/emu.paths") B=$(sed -n 2p "$T/emu.paths")
}
end_emu() { stop_child "$EMU"; wait "$EMU" 2>/dev/null; _untrack "$EMU"; }
f4=$(pattern_file $((150 * 1000 + 3)))
emu_line --ber 1e-5 --seed 11
mkdir "$T/noisy"
"$TPIPE" --protocol=ymodem --stats=json "$f4" -o "$A" 2>"$T/tx.err" & tx=$!
track "$tx"
line_open "$tx"
(cd "$T/noisy" && with_timeout 120 rb --ymodem <"$B" >"$B" 2>/dev/null)
wait_exit "$tx" 120
expect_status 0 "tpipe to rb over a line with bit errors (1e-5 both ways)"
same_file "$T/noisy/$(basename "$f4")" "$f4" "tpipe to rb over a noisy line"
end_emu
check "the line flipped bits" [ "$(kv ab_flipped "$T/emu.stats")" -gt 0 ]
check "blocks were sent again" [ "$(json_num retries "$T/tx.err")" -gt 0 ]
emu_line --ber 1e-5 --seed 12
mkdir "$T/noisy2"
"$TPIPE" --protocol=ymodem --stats=json "$B" -o "$T/noisy2" 2>"$T/rx.err" & rx=$!
track "$rx"
line_open "$rx"
with_timeout 120 sb "$f4" <"$A" >"$A" 2>/dev/null
wait_exit "$rx" 120
expect_status 0 "sb to tpipe over a line with bit errors"
same_file "$T/noisy2/$(basename "$f4")" "$f4" "sb to tpipe over a noisy line"
check "damaged blocks were refused and asked for again" [ "$(json_num bad_blocks "$T/rx.err")" -gt 0 ]
end_emu

# A sender that goes quiet mid-file (killed): with --idle-timeout 5, the receiver says so
# and keeps nothing.
emu_line
mkdir "$T/quiet"
"$TPIPE" --protocol=ymodem --idle-timeout 5 "$B" -o "$T/quiet" 2>"$T/quiet.err" & rx=$!
track "$rx"
line_open "$rx"
"$TPIPE" --protocol=ymodem -q "$f4" -o "$A" 2>/dev/null & tx=$!
track "$tx"
wait_for 20 bash -c 'ls -A "$1" | grep -q tpipe-' _ "$T/quiet" || fail "no file was begun"
stop_child "$tx" KILL
wait_exit "$tx" 5
wait_exit "$rx" 30
expect_status 1 "a sender that goes quiet"
check "the silence is said" grep -q "^tpipe: $B: the sender went quiet$" "$T/quiet.err"
check "no partial file is left" [ -z "$(ls -A "$T/quiet")" ]

# SIGINT mid-file: the sender cancels the receiver and exits 130, and gives the line its
# settings back.
mkdir "$T/int"
stty -F "$A" icrnl opost onlcr isig
before=$(stty -g -F "$A")
(cd "$T/int" && exec rb --ymodem <"$B" >"$B" 2>/dev/null) & rb_pid=$!
track "$rb_pid"
"$TPIPE" --protocol=ymodem "$f4" -o "$A" 2>"$T/int.err" & tx=$!
track "$tx"
wait_for 20 bash -c 'ls -A "$1" | grep -q .' _ "$T/int"
stop_child "$tx" INT
wait_exit "$tx" 10
expect_status 130 "SIGINT mid-file"
check "the line's settings are put back after SIGINT" [ "$(stty -g -F "$A")" = "$before" ]
wait_exit "$rb_pid" 20
check "rb was cancelled" [ "$status" != 0 ] && ! timed_out "$status"
end_emu

# ---- failures ----------------------------------------------------------------------------
pty_pair
tp --protocol=ymodem --idle-timeout 2 "$f2" -o "$A"
expect_status 1 "a receiver that never answers"
expect_stderr_line "^tpipe: $A: no receiver: nothing asked for the transfer to start" "a receiver that never answers"

"$TPIPE" --protocol=ymodem "$f3" -o "$A" 2>"$T/can.err" & tx=$!
track "$tx"
line_open "$tx"
printf 'C' >"$B"
sleep 0.3
printf '\030\030' >"$B"
wait_exit "$tx" 20
expect_status 1 "a receiver that cancels"
check "CAN CAN is said" grep -q "^tpipe: $A: the receiver cancelled (CAN CAN)$" "$T/can.err"
end_pair

# Block 0 naming ../evil, then .bashrc (a sender that means harm), to a receiver writing
# into $T/safe: refused, nothing written anywhere.
mkdir "$T/safe"
for evil in ../evil .bashrc; do
	pty_pair
	"$TPIPE" --protocol=ymodem "$B" -o "$T/safe" 2>"$T/evil.err" & rx=$!
	track "$rx"
	line_open "$rx"
	python3 - "$A" "$evil" <<'PYEOF'
import sys, os, time
def crc16(b):
    c = 0
    for x in b:
        c ^= x << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
            c &= 0xffff
    return c
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
os.read(fd, 1)  # the receiver's C
data = (sys.argv[2].encode() + b"\x0010 0 644").ljust(128, b"\0")
c = crc16(data)
os.write(fd, bytes([1, 0, 255]) + data + bytes([c >> 8, c & 0xff]))
time.sleep(0.5)
PYEOF
	wait_exit "$rx" 20
	expect_status 1 "block 0 names $evil"
	check "$evil: the name is refused in one line" grep -q "^tpipe: $B: block 0 names a file outside the directory" "$T/evil.err"
	check "$evil: nothing was written outside the directory" [ ! -e "$T/evil" ]
	check "$evil: nothing was written inside it either" [ -z "$(ls -A "$T/safe")" ]
	end_pair
done

pty_pair
tp --protocol=ymodem "$T/none" -o "$A"
expect_status 1 "a file to send that is missing"
expect_stderr_line "^tpipe: $T/none: No such file or directory$" "a file to send that is missing"
tp --protocol=ymodem "$T" -o "$A"
expect_status 1 "a directory to send"
expect_stderr_line "^tpipe: $T: not a regular file" "a directory to send"
end_pair
tp --protocol=xmodem "$f1" -o "$T/x.out"
expect_status 2 "a sender whose -o is no serial line"
expect_stderr_line "^tpipe: $T/x.out: not a serial line: a sender's -o is the line" "a sender whose -o is no serial line"
tp --protocol=zmodem x -o /dev/null
expect_status 2 "--protocol=zmodem"
expect_stderr_line "^tpipe: --protocol: 'zmodem' is not one of xmodem, xmodem-1k, ymodem, ymodem-g$" "--protocol=zmodem"
tp --protocol=ymodem -F x -o /dev/null
expect_status 2 "--protocol with -F"
tp --protocol=ymodem -o "$T/in/$(basename "$f2")" </dev/null
expect_status 1 "a YMODEM receiver given a file"
expect_stderr_line "YMODEM receives into a directory" "a YMODEM receiver given a file"
tp --protocol=ymodem </dev/null
expect_status 1 "a YMODEM receiver on standard input with no sender"
finish
