#!/bin/bash
# The fill levels (--write-above, --read-below: mbuffer's -P and -p) end to end. The producer
# is a FIFO we hold open and feed a MiB at a time, the consumer a FIFO we read by the MiB, so
# every check waits for a state it can see (bytes read from the input, bytes in the output,
# the status line's word), never for time: with -B 8M -C 1M the ring is 8 chunks of 1 MiB.
#   * --write-above=50: no output byte before 4 MiB came in; after the ring ran dry, none
#     again until it refilled to 4 chunks; a short input still goes out whole at its end.
#   * --read-below=50: once the ring was full, the reader reads nothing more until fewer
#     than 4 chunks are in use, though chunks are free before that.
#   * The status line (SIGUSR1) and tpipe's own line (-f) say "filling" / "draining";
#     --explain names the levels; a bad value is one line and status 2.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

"$TPGEN" gen $((16 * MiB)) >"$T/in"
mkfifo "$T/fifo" "$T/ofifo"
RING=(-B 8M -C 1M)

# rchar PID: bytes the process has read with read() (/proc/PID/io; the input's, and a few
# bytes of eventfd).
rchar() { sed -n 's/^rchar: //p' "/proc/$1/io" 2>/dev/null || echo 0; }
read_at_least() { [ "$(rchar "$1")" -ge "$2" ]; }

# feed FIRST COUNT: MiB FIRST.. of the input, COUNT of them, into the FIFO (fd 3). Returns
# once the FIFO took them all (a pipe holds at most a MiB: the rest tpipe has read).
feed() { dd if="$T/in" bs=1M skip="$1" count="$2" status=none >&3; }

# status_says PID REGEX: asks for a status line (SIGUSR1) until the newest one matches (for a
# minute at most).
_status_matches() {
	local before
	before=$(grep -c '^tpipe: ' "$T/err")
	kill -USR1 "$1" 2>/dev/null
	wait_for 10 eval '[ "$(grep -c "^tpipe: " "$T/err")" -gt "$before" ]' || return 1
	grep '^tpipe: ' "$T/err" | tail -n 1 | grep -Eq -- "$2"
}
status_says() {
	local pid=$1 re=$2
	local until=$((SECONDS + 60))
	# Bounded by the clock: each try takes a line's round trip, not wait_for's 50 ms.
	while [ "$SECONDS" -lt "$until" ]; do
		child "$pid" || { note "tpipe has ended"; return 1; }
		_status_matches "$pid" "$re" && return 0
		sleep 0.05
	done
	note "the newest status line: $(last_status)"
	return 1
}
last_status() { grep '^tpipe: ' "$T/err" | tail -n 1; }

# start ARGS...: tpipe ARGS... $T/fifo in the background ($pid), our end of the FIFO on fd 3
# (read-write, so that opening it never waits), once tpipe has it open and catches SIGUSR1.
start() {
	rm -f "$T/out" "$T/err"
	: >"$T/err"
	# Not under `timeout`: $! must be tpipe itself (wait_exit bounds every wait instead).
	"$TPIPE" "$@" "$T/fifo" 2>>"$T/err" 3>&- 4>&- &
	pid=$!
	track "$pid"
	exec 3<>"$T/fifo"
	wait_for 10 has_open "$pid" "$T/fifo"
	wait_for 10 catches "$pid" 10
}

size_is() { [ "$(file_size "$1")" = "$2" ]; }

# --- --write-above=50: the first byte out only after 4 MiB came in -------------------------
start --write-above=50 "${RING[@]}" -o "$T/out"
feed 0 3
check "--write-above=50: tpipe read the first 3 MiB" wait_for 60 read_at_least "$pid" $((3 * MiB))
check "--write-above=50: nothing out with 3 of 8 chunks full" size_is "$T/out" 0
check "--write-above=50: the status line says filling, 3 of 8 chunks full" \
	status_says "$pid" 'ring 3/8 full, filling$'
feed 3 1
check "--write-above=50: the 4th MiB lets the first 4 out" wait_for 60 size_is "$T/out" $((4 * MiB))
# Run dry before the input's end: held back until the ring is at the level again.
check "--write-above=50: ran dry, filling again" status_says "$pid" ', filling$'
feed 4 3
check "--write-above=50: tpipe read 7 MiB" wait_for 60 read_at_least "$pid" $((7 * MiB))
check "--write-above=50: after running dry, nothing more out with 3 chunks full" \
	size_is "$T/out" $((4 * MiB))
feed 7 1
check "--write-above=50: the 8th MiB lets the next 4 out" wait_for 60 size_is "$T/out" $((8 * MiB))
feed 8 8
exec 3>&-
wait_exit "$pid" "$TMO"
_last_cmd="tpipe --write-above=50 -B 8M -C 1M fifo -o out"
expect_status 0 "--write-above=50, 16 MiB fed by the MiB"
same_file "$T/out" "$T/in" "--write-above=50, 16 MiB fed by the MiB"
check "--write-above=50: no other line than the status lines" \
	eval '[ "$(grep -vc "^tpipe: .* full" "$T/err")" = 0 ]'

# --- a short input below the level still goes out whole at its end ---------------------------
start --write-above=100 "${RING[@]}" -o "$T/out"
feed 0 2
dd if="$T/in" bs=1000 skip=2100 count=1 status=none >&3 # and 1000 bytes: no whole chunk
check "--write-above=100: held, 2 MiB and a bit in" wait_for 60 read_at_least "$pid" $((2 * MiB + 1000))
check "--write-above=100: nothing out yet" size_is "$T/out" 0
exec 3>&-
wait_exit "$pid" "$TMO"
expect_status 0 "--write-above=100, input shorter than the level"
head -c $((2 * MiB)) "$T/in" >"$T/want"
dd if="$T/in" bs=1000 skip=2100 count=1 status=none >>"$T/want"
same_file "$T/out" "$T/want" "--write-above=100, input shorter than the level"

head -c 100000 "$T/in" >"$T/small"
"$TPGEN" gen 100000 | with_timeout "$TMO" "$TPIPE" --write-above=100 "${RING[@]}" 2>"$T/err" |
	"$TPGEN" check 100000
st=("${PIPESTATUS[@]}")
expect_pipeline "--write-above=100, 100000 bytes from a pipe" "${st[0]}" "${st[1]}" "${st[2]}"
run "$TPIPE" --write-above=100 --read-below=0 "${RING[@]}" "$T/small"
expect_clean "--write-above=100 --read-below=0, a file shorter than the level" "$T/out" "$T/small"

# --- -f off a terminal: tpipe's own line says filling ---------------------------------------
start --write-above=100 -f -i 0.1 "${RING[@]}" -o "$T/out"
feed 0 1
check "-f: the progress line says the ring is filling" \
	wait_for 60 grep -aq 'ring  12% filling' "$T/err"
exec 3>&-
wait_exit "$pid" "$TMO"
expect_status 0 "-f --write-above=100"
head -c $MiB "$T/in" >"$T/want"
same_file "$T/out" "$T/want" "-f --write-above=100"

# --- --read-below=50: full, the reader waits until fewer than 4 chunks are in use ----------
# The input is a file (its position says how much tpipe has read, splice included), the
# output a FIFO we read by the MiB.
# consume MIB: reads that many MiB of the output (fd 4) into $T/got.
consume() { dd bs=64K count=$(($1 * 16)) iflag=fullblock status=none <&4 >>"$T/got"; }
start_out() {
	rm -f "$T/got" "$T/err"
	: >"$T/err"
	"$TPIPE" "$@" "${RING[@]}" "$T/in" -o "$T/ofifo" 2>>"$T/err" 3>&- 4>&- &
	pid=$!
	track "$pid"
	exec 4<>"$T/ofifo" # read-write: opening it never waits; so no end of file: read by count
	wait_for 10 has_open "$pid" "$T/ofifo"
	wait_for 10 catches "$pid" 10
}

# Without a level, first: freeing chunks lets the reader go on at once (the check below
# would prove nothing if it did not).
start_out
check "no --read-below: the ring fills" status_says "$pid" 'ring 8/8 full$'
pos0=$(file_pos "$pid" "$T/in")
consume 3
check "no --read-below: freeing chunks lets the reader on" \
	wait_for 60 eval '[ "$(file_pos "$pid" "$T/in")" -gt "$pos0" ]'
consume 13
wait_exit "$pid" "$TMO"
exec 4<&-
expect_status 0 "no --read-below, read by the MiB"
same_file "$T/got" "$T/in" "no --read-below, read by the MiB"

start_out --read-below=50
check "--read-below=50: full, the status line says draining" \
	status_says "$pid" 'ring [5-8]/8 full, draining$'
pos0=$(file_pos "$pid" "$T/in")
consume 3
# Chunks are free now, and the reader is still held (the line would say 8/8 and no word).
check "--read-below=50: 3 MiB out, chunks free, still draining" \
	status_says "$pid" 'ring [4-7]/8 full, draining$'
pos1=$(file_pos "$pid" "$T/in")
note "the input's position went from $pos0 to $pos1"
note "the newest status line: $(last_status)"
check "--read-below=50: nothing more read while draining" [ "$pos1" = "$pos0" ]
consume 3
check "--read-below=50: below 4 chunks, the reader reads 4 MiB more at least" \
	wait_for 60 eval '[ "$(file_pos "$pid" "$T/in")" -ge $((pos0 + 4 * MiB)) ]'
consume 10
wait_exit "$pid" "$TMO"
exec 4<&-
expect_status 0 "--read-below=50, read by the MiB"
same_file "$T/got" "$T/in" "--read-below=50, read by the MiB"

# --- --explain ---------------------------------------------------------------------------
run "$TPIPE" --explain --write-above=50 --read-below=25 "${RING[@]}" </dev/null
check "--explain: names both levels in chunks" grep -q \
	'^tpipe: fill levels: the writer starts once 4 of 8 chunks are full (--write-above=50); once the ring is full, the reader waits until fewer than 2 of 8 chunks are in use (--read-below=25)$' "$T/err"
run "$TPIPE" --explain "${RING[@]}" </dev/null
check "--explain: no fill levels line at the defaults" eval '! grep -q "fill levels" "$T/err"'
run "$TPIPE" --write-above=0 --read-below=100% "$T/small"
expect_clean "--write-above=0 --read-below=100% (the defaults, a % allowed)" "$T/out" "$T/small"

# --- bad values ---------------------------------------------------------------------------
for opt in --write-above --read-below; do
	for bad in 101 -1 abc "" 50.5 1000%; do
		run "$TPIPE" "$opt=$bad" </dev/null
		expect_status 2 "$opt=$bad"
		expect_stderr_line "^tpipe: $opt: '$bad' is not a percentage \\(0-100\\)$" "$opt=$bad"
	done
	run "$TPIPE" "$opt" 101 </dev/null
	expect_status 2 "$opt 101"
	expect_stderr_line "^tpipe: $opt: " "$opt 101"
done

finish
