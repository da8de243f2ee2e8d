#!/bin/bash
# Frames on byte streams (-F / -D through pipes and files): byte-exact round trips, garbage
# before and inside the stream, each --on-gap policy, a cut-off stream, nested frames,
# --repeat, and the option checks. The receiver must never write a byte it could not verify.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"


# is_prefix GOT WANT: GOT is WANT's first bytes (and no more).
is_prefix() {
	local n
	n=$(file_size "$1")
	[ "$n" -le "$(file_size "$2")" ] && cmp -s -n "$n" "$1" "$2"
}

# ---- round trips ---------------------------------------------------------
for size in 0 1 4095 65535 65536 65537 $((5 * MiB + 3)); do
	want=$(pattern_file "$size")
	with_timeout "$TMO" "$TPIPE" -F <"$want" >"$T/framed" 2>"$T/err1" &&
		run "$TPIPE" -D <"$T/framed"
	cp "$T/out" "$T/got"
	expect_clean "-F | -D, $size bytes" "$T/got" "$want"
done

want=$(pattern_file $((3 * MiB)))
"$TPIPE" -F <"$want" >"$T/framed"
first=$(head -c 1 "$T/framed" | od -An -tx1 | tr -d ' ')
check "a framed stream starts with a 0x00 delimiter" [ "$first" = 00 ]
check "a framed stream carries no run of the input (it is stuffed)" \
	bash -c '! cmp -s "$1" "$2"' _ "$T/framed" "$want"
over=$(($(file_size "$T/framed") - $(file_size "$want")))
check "framing 3 MiB costs under 1 % ($over bytes)" [ "$over" -lt $((3 * MiB / 100)) ]

# Several inputs are one stream; --frame-size sets the payload.
half=$(pattern_file $((MiB / 2)))
cat "$half" "$half" >"$T/twice"
"$TPIPE" -F --frame-size 1000 "$half" "$half" | run "$TPIPE" -D --stats=json
cp "$T/out" "$T/got"
expect_status 0 "-F --frame-size 1000, two inputs"
same_file "$T/got" "$T/twice" "-F --frame-size 1000, two inputs"
frames=$(json_num frames "$T/err")
check "--frame-size 1000: about 1049 DATA frames plus META/END (got $frames)" \
	[ "${frames:-0}" -ge 1049 ] && [ "${frames:-0}" -le 1060 ]

# Frames inside frames: the outer layer's payload is the inner framed stream.
"$TPIPE" -F <"$want" | "$TPIPE" -F | "$TPIPE" -D | run "$TPIPE" -D
cp "$T/out" "$T/got"
expect_clean "-F | -F | -D | -D (nested)" "$T/got" "$want"
"$TPIPE" -F <"$want" | "$TPIPE" -F | run "$TPIPE" -D
cmp -s "$T/out" "$T/framed" || "$TPIPE" -D <"$T/out" | cmp -s - "$want"
check "one -D peels one layer: the inner stream decodes to the input" \
	bash -c '"$1" -D <"$2" | cmp -s - "$3"' _ "$TPIPE" "$T/out" "$want"

# ---- garbage ------------------------------------------------------------------
printf 'some text a terminal printed\r\n\x01\x02\x03' >"$T/junk"
head -c 5000 /dev/urandom | tr -d '\000' >>"$T/junk"
cat "$T/junk" "$T/framed" | run "$TPIPE" -D --stats=json
cp "$T/out" "$T/got"
expect_status 0 "garbage before the stream"
same_file "$T/got" "$want" "garbage before the stream"
g=$(json_num garbage_bytes "$T/err")
check "garbage before the stream is counted ($g bytes)" [ "${g:-0}" -ge 5000 ]

# Garbage between two frames: in the middle, between a frame's closing delimiter and the
# next one's opening delimiter (two 0x00 bytes in a row; 0x00 occurs nowhere else).
mid=$(($(file_size "$T/framed") / 2))
pair=$(od -An -v -tu1 -w1 "$T/framed" | awk -v mid="$mid" \
	'NR > mid && prev == 0 && $1 == 0 { print NR - 1; exit } { prev = $1 }')
{ head -c "$pair" "$T/framed"; cat "$T/junk"; tail -c +"$((pair + 1))" "$T/framed"; } >"$T/between"
run "$TPIPE" -D --stats=json <"$T/between"
cp "$T/out" "$T/got"
expect_status 0 "garbage between frames"
same_file "$T/got" "$want" "garbage between frames"

# ---- damage inside a frame -------------------------------------------------------
# Overwrite 16 bytes in the middle of the stream: one frame is refused, its data is lost.
cp "$T/framed" "$T/damaged"
printf 'XXXXXXXXXXXXXXXX' | dd of="$T/damaged" bs=1 seek="$mid" conv=notrunc status=none
run "$TPIPE" -D --stats=json <"$T/damaged"
cp "$T/out" "$T/got"
expect_status 3 "a damaged frame, --on-gap=stop (default)"
check "stop: the output is a verified prefix, short of the damage" is_prefix "$T/got" "$want"
check "stop: the prefix ends before the damaged frame" [ "$(file_size "$T/got")" -lt "$mid" ]
check "stop: the loss is reported as it happens" grep -Eq '^tpipe: lost frames? [0-9-]+: [0-9]+ bytes at offset [0-9]+' "$T/err"
c=$(grep -o '"corrupt":{[^}]*}' "$T/err")
check "stop: the refused frame is counted by reason ($c)" bash -c '[[ $1 =~ [1-9] ]]' _ "$c"

run "$TPIPE" -D --on-gap=skip --stats=json <"$T/damaged"
cp "$T/out" "$T/got"
expect_status 3 "a damaged frame, --on-gap=skip"
lost=$(json_num lost_bytes "$T/err")
check "skip: output = input - the lost bytes ($lost)" \
	[ "$(file_size "$T/got")" = $(($(file_size "$want") - ${lost:-0})) ]
check "skip: 64 KiB frames: one frame lost" [ "$(json_num lost_frames "$T/err")" = 1 ]
check "skip: the bytes before the gap are right" cmp -s -n "$(($(file_size "$T/got") / 3))" "$T/got" "$want"
check "skip: the bytes after the gap are right" \
	bash -c 'cmp -s <(tail -c 100000 "$1") <(tail -c 100000 "$2")' _ "$T/got" "$want"

run "$TPIPE" -D --on-gap=zero --stats=json <"$T/damaged"
cp "$T/out" "$T/got"
expect_status 3 "a damaged frame, --on-gap=zero"
check "zero: offsets hold (the size is the input's)" [ "$(file_size "$T/got")" = "$(file_size "$want")" ]
diffs=$(cmp -l "$T/got" "$want" | wc -l)
zeros=$(json_num zero_bytes "$T/err")
check "zero: only the lost bytes differ ($diffs differ, $zeros zeroed)" [ "$diffs" -le "${zeros:-0}" ] && [ "${zeros:-0}" -gt 0 ]
check "zero: differing bytes are all zeros in the output" \
	only_zeros_differ "$T/got" "$want"

# ---- cut off ----------------------------------------------------------------------
head -c "$mid" "$T/framed" | run "$TPIPE" -D
cp "$T/out" "$T/got"
expect_status 3 "a stream cut off before END"
check "cut off: a verified prefix is written" is_prefix "$T/got" "$want"
check "cut off: the missing end is reported" grep -q "end is missing" "$T/err"

run "$TPIPE" -D <"$want"
expect_status 3 "-D on a stream that was never framed"
check "never framed: nothing is written" [ ! -s "$T/out" ]

# ---- repeats ------------------------------------------------------------------------
"$TPIPE" -F --repeat 2 <"$want" >"$T/rep"
check "--repeat 2 sends about three times the bytes" \
	[ "$(file_size "$T/rep")" -gt $((3 * $(file_size "$want"))) ]
run "$TPIPE" -D --stats=json <"$T/rep"
cp "$T/out" "$T/got"
expect_status 0 "-F --repeat 2 | -D"
same_file "$T/got" "$want" "-F --repeat 2 | -D"
d=$(json_num duplicates "$T/err")
check "-F --repeat 2: the copies are counted as duplicates ($d)" [ "${d:-0}" -gt 0 ]
# Damage one copy of a frame: another copy stands in for it.
cp "$T/rep" "$T/repdamaged"
printf 'XXXXXXXXXXXXXXXX' | dd of="$T/repdamaged" bs=1 seek=$(($(file_size "$T/rep") / 2)) conv=notrunc status=none
run "$TPIPE" -D <"$T/repdamaged"
cp "$T/out" "$T/got"
expect_status 0 "--repeat 2 recovers a damaged copy"
same_file "$T/got" "$want" "--repeat 2 recovers a damaged copy"
expect_stderr_line '^tpipe: damaged input: 1 frame refused' "--repeat 2: the damage is still said"

# ---- the receiver's other ends ------------------------------------------------------------
"$TPIPE" -F <"$want" | run "$TPIPE" -D -S -s 1000
cp "$T/out" "$T/got"
expect_status 0 "-D -S -s 1000: stops where asked, no loss reported"
check "-D -S -s 1000: exactly the first 1000 bytes" bash -c '[ "$(wc -c <"$1")" = 1000 ] && cmp -s -n 1000 "$1" "$2"' _ "$T/got" "$want"
expect_stderr_empty "-D -S -s 1000"
# -S -s 0 copies nothing (as raw): it stops before reading, whatever the input holds.
printf 'not a frame, garbage' | run "$TPIPE" -D -S -s 0
expect_status 0 "-D -S -s 0 on garbage: stops at once"
check "-D -S -s 0: nothing written" test ! -s "$T/out"
expect_stderr_empty "-D -S -s 0"
tp -D "$T/no-such-file"
expect_status 1 "-D on a missing file"
expect_stderr_line 'no-such-file: No such file' "-D on a missing file: one line, no loss report"
# A paced sender with repeats is still sending copies when the receiver has everything: the
# receiver reads them to the end, so the sender is not cut off (SIGPIPE, 141).
"$TPIPE" -F --repeat 2 -L 20MB <"$half" | "$TPIPE" -D >"$T/got"
st=("${PIPESTATUS[@]}")
check "-F --repeat 2 -L | -D: the sender ends 0, not 141 (${st[*]})" [ "${st[0]}" = 0 ] && [ "${st[1]}" = 0 ]
same_file "$T/got" "$half" "-F --repeat 2 -L | -D"

# ---- payloads decoded straight into the chunk -----------------------------------------
# In-order payloads are decoded where they are written; a frame the chunk has no room left for
# goes the old way. Chunk sizes that frames fill exactly, nearly, and not at all; -S cutting
# inside a frame at a chunk's edge; reordered and repeated frames; several outputs.
FR=$TESTDIR/tp-frames
want=$(pattern_file $((300 * 1000 + 7)))
"$TPIPE" -F --frame-size 1000 <"$want" >"$T/framed1k"
for chunk in 4096 5000 8192 65536; do
	run "$TPIPE" -D -C "$chunk" <"$T/framed1k"
	expect_clean "-F --frame-size 1000 | -D -C $chunk" "$T/out" "$want"
done
for n in 3999 4000 4001 4096 8191 8192 150500; do
	run "$TPIPE" -D -C 4096 -S -s "$n" <"$T/framed1k"
	expect_status 0 "-D -C 4096 -S -s $n"
	check "-D -C 4096 -S -s $n: exactly the first $n bytes" \
		bash -c '[ "$(wc -c <"$1")" = "$3" ] && cmp -s -n "$3" "$1" "$2"' _ "$T/out" "$want" "$n"
done
"$TPIPE" -F --frame-size 1000 --repeat 2 <"$want" | run "$TPIPE" -D -C 4096 --stats=json
expect_status 0 "-F --repeat 2 | -D -C 4096"
same_file "$T/out" "$want" "-F --repeat 2 | -D -C 4096"
if [ -x "$FR" ]; then
	# Frames out of order, each held until the one before comes: written in order.
	"$FR" meta 1 6000 1000 data 1 1 1000 1000 data 1 0 0 1000 data 1 3 3000 1000 \
		data 1 2 2000 1000 data 1 5 5000 1000 data 1 4 4000 1000 end 1 6000 6 >"$T/reordered"
	"$TPGEN" gen 6000 >"$T/want6k"
	run "$TPIPE" -D -C 4096 <"$T/reordered"
	expect_clean "reordered frames | -D -C 4096" "$T/out" "$T/want6k"
	# Frame 2 lost for good: zeros for it, the rest in place.
	"$FR" meta 1 6000 1000 data 1 0 0 1000 data 1 1 1000 1000 data 1 3 3000 1000 \
		data 1 4 4000 1000 data 1 5 5000 1000 end 1 6000 6 >"$T/holed"
	run "$TPIPE" -D -C 4096 --on-gap=zero <"$T/holed"
	expect_status 3 "a lost frame, -D -C 4096 --on-gap=zero"
	{ head -c 2000 "$T/want6k"; head -c 1000 /dev/zero; tail -c 3000 "$T/want6k"; } >"$T/want6kz"
	same_file "$T/out" "$T/want6kz" "a lost frame, --on-gap=zero: zeros in its place"
fi
run "$TPIPE" -D -C 4096 -o "$T/copy1" -o "$T/copy2" <"$T/framed1k"
same_file "$T/copy1" "$want" "-D to two outputs: the first"
same_file "$T/copy2" "$want" "-D to two outputs: the second"

# ---- option checks ------------------------------------------------------------------
tp --repeat 1 </dev/null
expect_status 2 "--repeat without -F"
tp --on-gap=skip </dev/null
expect_status 2 "--on-gap without -D"
tp -F --on-gap=bogus </dev/null
expect_status 2 "--on-gap=bogus"
tp -F --frame-size 0 </dev/null
expect_status 2 "--frame-size 0"
tp -F --frame-size 2M </dev/null
expect_status 2 "--frame-size past 1M"
tp -F --repeat 16 </dev/null
expect_status 2 "--repeat past 15"
tp --frame-size 1000 </dev/null
expect_status 2 "--frame-size without -F on a stream"
tp -D -F </dev/null
expect_status 2 "-D with -F"
tp -D "$want" "$want"
expect_status 2 "-D with two inputs"

# The reader of -F --repeat's output goes away while chunks wait for their copies: exit 141
# and nothing said, unpaced and paced (the writer ends holding them, in the ring's order).
for pace in "" "-L 200M"; do
	"$TPGEN" gen 100000000 2>/dev/null |
		with_timeout 20 "$TPIPE" -q -F --repeat 2 $pace 2>"$T/err" | head -c 1000 >/dev/null
	status_is 141 "${PIPESTATUS[1]}" "-F --repeat 2 $pace, reader goes away" "$T/err"
	check "-F --repeat 2 $pace, reader goes away: nothing said" test ! -s "$T/err"
done

finish
