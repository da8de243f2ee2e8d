#!/bin/bash
# Several outputs (-o more than once): every output gets every byte in order, whatever kind it
# is (a file, standard output, a pipe, /dev/null, udp://), with every engine; an output that
# fails (a full disk, a closed pipe, one that cannot be opened) is named in one line and
# dropped while the others go on (status 1); --stall-timeout names and drops an output that
# takes nothing; the statistics and --explain are per output. Nothing here times anything:
# slow and stopped consumers are processes the test controls.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

IN=$(pattern_file 5000000)
: >"$T/nothing"
SMALL=$(pattern_file 300000)
MID=$(pattern_file 2000000)
DROPPED='dropped, the other outputs go on$'

# --- every output gets every byte -------------------------------------------------------------
for eng in $(engines); do
	"$TPIPE" -q --engine="$eng" -o "$T/a" -o - -o /dev/null -o "$T/b" "$IN" 2>"$T/err" |
		cat >"$T/piped"
	status_is 0 "${PIPESTATUS[0]}" "four outputs, --engine=$eng" "$T/err"
	same_file "$T/a" "$IN" "four outputs, --engine=$eng: the first file"
	same_file "$T/b" "$IN" "four outputs, --engine=$eng: the last file"
	same_file "$T/piped" "$IN" "four outputs, --engine=$eng: standard output, a pipe"
	expect_stderr_empty "four outputs, --engine=$eng"
done

# Sizes that end on no chunk boundary, several inputs in order, and nothing at all.
for size in 0 1 4097 1048577; do
	f=$(pattern_file "$size")
	tp -C 4K -o "$T/a" -o "$T/b" "$f" "$f"
	expect_status 0 "two outputs, two inputs of $size bytes"
	cat "$f" "$f" >"$T/want"
	same_file "$T/a" "$T/want" "two outputs, $size + $size bytes: the first"
	same_file "$T/b" "$T/want" "two outputs, $size + $size bytes: the second"
done

# A slow consumer sets the pace: the fast outputs still get everything, in order.
"$TPIPE" -q -B 1M -C 64K -o "$T/a" -o - "$IN" 2>"$T/err" | pv -q -L 20M >"$T/slow"
status_is 0 "${PIPESTATUS[0]}" "a slow reader among two outputs" "$T/err"
same_file "$T/slow" "$IN" "a slow reader among two outputs: the slow one"
same_file "$T/a" "$IN" "a slow reader among two outputs: the file"

# Paced (-L) and framed (-F, with --repeat) into two outputs: both decode byte-exact.
# Paced, a chunk goes out in pieces: the tee engine (auto) tees it whole once.
for eng in $(engines); do
	tp --engine="$eng" -L 20M -o "$T/a" -o "$T/b" "$SMALL"
	expect_status 0 "-L with two outputs, --engine=$eng"
	same_file "$T/a" "$SMALL" "-L with two outputs, --engine=$eng: the first"
	same_file "$T/b" "$SMALL" "-L with two outputs, --engine=$eng: the second"
done
tp -F --repeat 1 -o "$T/a.f" -o "$T/b.f" "$IN"
expect_status 0 "-F --repeat 1 into two files"
for x in a b; do
	tp -D -o "$T/$x.d" "$T/$x.f"
	expect_status 0 "-D of the $x file"
	same_file "$T/$x.d" "$IN" "-F into two files, $x decoded"
done

# A udp:// output beside a file: the datagrams carry the same bytes.
"$TPIPE" -q --idle-timeout 5 -o "$T/udp.out" udp://127.0.0.1:0 --explain 2>"$T/rx.err" &
rx=$!
track "$rx"
wait_for 20 grep -q 'listening on' "$T/rx.err"
port=$(sed -n 's/.*listening on udp:.*:\([0-9]*\)$/\1/p' "$T/rx.err" | head -n 1)
if [ -n "$port" ]; then
	tp -L 40MB -o "$T/a" -o "udp://127.0.0.1:$port" "$SMALL"
	expect_status 0 "a file and udp://"
	wait_exit "$rx" 60
	same_file "$T/a" "$SMALL" "a file and udp://: the file"
	same_file "$T/udp.out" "$SMALL" "a file and udp://: the datagrams"
else
	fail "a udp:// receiver said its port ($(head -c 200 "$T/rx.err"))"
fi

# An unprivileged user's pipe pages (pipe-user-pages-soft, 64 MiB) do not stretch to a ring
# of pipes and a pipe for each of 16 outputs: the ring is then set up in memory, every output
# still gets every byte. Root has no such limit, so this runs as nobody.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	for_others "$TPIPE" || fail "cannot copy tpipe where other users can run it"
	cp "$IN" "$_others_dir/in" && chmod 644 "$_others_dir/in"
	chmod 777 "$_others_dir"
	args=()
	for i in $(seq 15); do args+=(-o /dev/null); done
	setpriv --reuid 65534 --regid 65534 --clear-groups bash -c \
		'"$1" --explain -q -B 24M "${@:3}" -o - <"$2" 2>"$2.err" | cmp -s - "$2"' _ \
		"$_others_dir/$(basename "$TPIPE")" "$_others_dir/in" "${args[@]}"
	status_is 0 "$?" "16 outputs as nobody, the pipe pages short: every byte on standard output" \
		"$_others_dir/in.err"
	check "16 outputs as nobody: the ring in memory, and why" \
		grep -q "no splice: several outputs: a pipe for each was refused" "$_others_dir/in.err"
else
	skip "16 outputs as an unprivileged user (needs root and setpriv to become nobody)"
fi

# A tcp:// output beside a file (the tee engine into a socket), received by another tpipe.
port=$((20000 + RANDOM % 40000))
for i in $(seq 100); do
	[ -z "$(ss -Htan "( sport = :$port or dport = :$port )" 2>/dev/null)" ] && break
	port=$((20000 + RANDOM % 40000))
done
with_timeout "$TMO" "$TPIPE" -q "tcp://127.0.0.1:$port" >"$T/tcp.out" 2>"$T/tcp.err" &
rx=$!
track "$rx"
tp -o "tcp://127.0.0.1:$port" -o "$T/a" "$IN"
expect_status 0 "a tcp:// output and a file"
wait_exit "$rx" 60
status_is 0 "$status" "a tcp:// output and a file: the receiver" "$T/tcp.err"
same_file "$T/tcp.out" "$IN" "a tcp:// output and a file: what the receiver got"
same_file "$T/a" "$IN" "a tcp:// output and a file: the file"

# --- failures: named, dropped, the others go on ---------------------------------------------
tp -o "$T/a" -o /dev/full -o "$T/b" "$IN"
expect_status 1 "/dev/full among three outputs"
expect_stderr_line "^tpipe: /dev/full: No space left on device: $DROPPED" "/dev/full among three outputs"
same_file "$T/a" "$IN" "/dev/full among three outputs: the first"
same_file "$T/b" "$IN" "/dev/full among three outputs: the third"

tp -o "$T/a" -o "$T/nodir/x" "$IN"
expect_status 1 "an output that cannot be opened"
expect_stderr_line "^tpipe: $T/nodir/x: No such file or directory: $DROPPED" "an output that cannot be opened"
same_file "$T/a" "$IN" "an output that cannot be opened: the other"

tp -o "$T/nodir/x" -o /dev/full "$IN"
expect_status 1 "no output left"
check "no output left: two lines, one for each" [ "$(wc -l <"$T/err")" = 2 ]

# A closed pipe among several is a failure like another (141 is for a single output).
"$TPIPE" -q -o "$T/a" -o - "$IN" 2>"$T/err" | head -c 10 >/dev/null
status_is 1 "${PIPESTATUS[0]}" "a closed pipe among two outputs"
expect_stderr_line "^tpipe: standard output: Broken pipe: $DROPPED" "a closed pipe among two outputs"
same_file "$T/a" "$IN" "a closed pipe among two outputs: the file"
"$TPIPE" -q "$IN" 2>"$T/err" | head -c 10 >/dev/null
status_is 141 "${PIPESTATUS[0]}" "a closed pipe, the only output"
expect_stderr_empty "a closed pipe, the only output"

# An input that is one of the outputs would never end.
cp "$SMALL" "$T/loop"
tp -o "$T/a" -o "$T/loop" "$T/loop"
expect_status 1 "an input that is the second output"
expect_stderr_line 'input file is output file' "an input that is the second output"

# --- --stall-timeout -------------------------------------------------------------------------
# The consumer is a FIFO whose reader we hold open and never read from.
mkfifo "$T/fifo"
for eng in $(engines); do
	exec 3<>"$T/fifo"
	tp --engine="$eng" --stall-timeout 0.5 -B 1M -o "$T/fifo" "$IN"
	expect_status 1 "--stall-timeout, the only output, --engine=$eng"
	expect_stderr_line '^tpipe: .*/fifo: took nothing for [0-9.]+ s while data waited for it \(--stall-timeout\)$' \
		"--stall-timeout, the only output, --engine=$eng"
	exec 3>&-
done
# Each engine gives up its stalled write: io_uring cancels it in the kernel, write() and
# splice are interrupted.
for eng in $(engines); do
	exec 3<>"$T/fifo"
	tp --engine="$eng" --stall-timeout 0.5 -B 1M -o "$T/a" -o "$T/fifo" --stats=json "$IN"
	expect_status 1 "--stall-timeout, one of two, --engine=$eng"
	check "--stall-timeout, one of two, --engine=$eng: the stall said, the others go on" \
		grep -Eq "^tpipe: .*/fifo: took nothing for [0-9.]+ s while data waited for it \(--stall-timeout\): $DROPPED" "$T/err"
	same_file "$T/a" "$IN" "--stall-timeout, one of two, --engine=$eng: the file"
	check "--stall-timeout, --engine=$eng: the statistics say which was dropped and why" \
		grep -q '"dropped":"took nothing for [0-9.]* s (--stall-timeout)"' "$T/err"
	exec 3>&-
done
# A reader that is slow but steady is not stalled: a page every 5 ms (800 KB/s) keeps the
# pipe full all the time, and a whole 1 MiB chunk's write would block for 1.3 s; each write
# call carries at most 64 KiB, so its progress shows.
cat >"$T/slow.py" <<'EOF2'
import os, sys, time
while True:
    b = os.read(0, 4096)
    if not b:
        break
    sys.stdout.buffer.write(b)
    time.sleep(0.005)
EOF2
for eng in $(engines); do
	"$TPIPE" -q --engine="$eng" --stall-timeout 1 -C 1M -o "$T/a" -o - "$MID" 2>"$T/err" |
		python3 "$T/slow.py" >"$T/slow"
	status_is 0 "${PIPESTATUS[0]}" "--stall-timeout 1, a slow steady reader, --engine=$eng" "$T/err"
	same_file "$T/slow" "$MID" "--stall-timeout 1, a slow steady reader, --engine=$eng"
done
# A paced output waits for its pace, not for the output: no stall.
"$TPIPE" -q --stall-timeout 0.2 -L 500K "$SMALL" 2>"$T/err" | cat >"$T/a"
status_is 0 "${PIPESTATUS[0]}" "--stall-timeout 0.2 at -L 500K into a pipe" "$T/err"
same_file "$T/a" "$SMALL" "--stall-timeout 0.2 at -L 500K into a pipe"

# --- statistics and --explain per output ---------------------------------------------------
tp --stats -o "$T/a" -o /dev/null "$SMALL"
expect_status 0 "--stats with two outputs"
check "--stats: a line per output with its bytes" \
	bash -c 'grep -q "^tpipe: output $1: 293 KiB (300000 bytes) in [0-9]* writes\?, engine " "$2" &&
		grep -q "^tpipe: output /dev/null: 293 KiB (300000 bytes)" "$2"' _ "$T/a" "$T/err"
tp --stats=json -o "$T/a" -o /dev/full "$SMALL"
expect_status 1 "--stats=json with a failed output"
check "--stats=json: each output's bytes and why one was dropped" \
	python3 -c 'import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][0])
o = d["outputs"]
assert len(o) == 2 and o[0]["bytes"] == 300000 and o[0]["dropped"] is None, o
assert o[1]["name"] == "/dev/full" and o[1]["dropped"] == "No space left on device", o
assert d["bytes"] == 300000, d["bytes"]' "$T/err"
tp --explain -o "$T/a" -o - "$SMALL"
check "--explain: an engine line per output (tee: nothing copied), and the ring shared" \
	bash -c 'grep -q "^tpipe: output $1: engine: tee " "$2" && grep -q "^tpipe: output standard output: engine: tee " "$2" &&
		grep -q "^tpipe: outputs: 2, each written by a thread of its own" "$2"' _ "$T/a" "$T/err"
tp --explain -o "$T/a" -o udp://127.0.0.1:9 "$T/nothing"
check "--explain: with a udp:// output the bytes are in memory (no tee)" \
	bash -c '! grep -q "engine: tee" "$1" && grep -q "no splice: several outputs, one of them udp://" "$1"' _ "$T/err"

# --- usage errors ---------------------------------------------------------------------------
tp -F -o "$T/a" -o udp://127.0.0.1:9 "$SMALL"
expect_status 2 "-F with a file and udp://"
expect_stderr_line '^tpipe: -F: the outputs must be all udp:// or none' "-F with a file and udp://"
args=()
for i in $(seq 17); do args+=(-o /dev/null); done
tp "${args[@]}" "$SMALL"
expect_status 2 "17 outputs"
expect_stderr_line '^tpipe: --output: at most 16 outputs$' "17 outputs"
tp --stall-timeout soon "$SMALL"
expect_status 2 "--stall-timeout soon"
expect_stderr_line "^tpipe: --stall-timeout: 'soon' is not a duration" "--stall-timeout soon"

finish
