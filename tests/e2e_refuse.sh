#!/bin/bash
# What a receiver (-D) refuses: frames with a correct CRC that contradict META, END or the
# frames before them (made to order by tests/tp-frames), which are counted and said and never
# written, and never end a good transfer; every exit status 3 says why; the output's reader
# going away is quiet; streams after the end are counted; progress ends at 100 %.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

FR=$TESTDIR/tp-frames
[ -x "$FR" ] || { echo "FAIL: $FR is missing (make tests/tp-frames)"; exit 1; }

# frames ITEM...: tp-frames' byte stream into $T/in.
frames() { "$FR" "$@" >"$T/in" || fail "tp-frames $*"; }
# rx ARGS...: tpipe -D --stats=json ARGS < $T/in, output in $T/out, stderr in $T/err.
rx() { run "$TPIPE" -D --stats=json "$@" <"$T/in"; }
# conflicting REASON: the count of frames refused for REASON in the --stats=json line.
conflicting() { grep -o "\"conflicting\":{[^}]*}" "$T/err" | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
# err_lines: stderr without the JSON line.
err_lines() { grep -v '^{' "$T/err"; }
# says REGEX: a stderr line (not the JSON) matches.
says() { err_lines | grep -Eq -- "$1"; }
# pattern SIZE: the first SIZE bytes of the tp-gen pattern (what tp-frames sends), in $T/want.
pattern() { "$TPGEN" gen "$1" >"$T/want"; }

# ---- the baseline: a whole stream from tp-frames ---------------------------------------
frames stream 1 100000 1444
pattern 100000
rx
expect_clean_json() { # DESC: status 0, the output is $T/want, stderr only the JSON line
	local bad=0
	[ "$status" = 0 ] || { note "status $status"; bad=1; }
	cmp -s "$T/out" "$T/want" || { note "output differs: $(cmp "$T/out" "$T/want" 2>&1)"; bad=1; }
	[ -n "${2:-}" ] || { [ -z "$(err_lines)" ] || { note "stderr: $(err_lines | head -n 3)"; bad=1; }; }
	_report "$bad" "$1"
}
expect_clean_json "tp-frames stream: received whole"

# ---- item 3: a gap can never outgrow the stream -------------------------------------------
# One frame far ahead (offset 1444 x 70000) after the first: frame 1 starts where frame 0
# ends, so it is refused; under --on-gap=zero nothing is written for it.
frames meta 1 100000 1444 data 1 0 0 1444 data 1 1 $((1444 * 70000)) 1444
rx --on-gap=zero
expect_status 3 "a frame far ahead, --on-gap=zero (the stream never ends)"
check "far frame: no zeros written for it (output $(file_size "$T/out") bytes)" [ "$(file_size "$T/out")" = 1444 ]
check "far frame: counted as out_of_line" [ "$(conflicting out_of_line)" = 1 ]
check "far frame: said, with its offset" says "^tpipe: refused a DATA frame: frame 1 at offset 101080000 "
# Its seq to match (frame 70000 at 1444 x 70000): past META's 100000 bytes, with everything
# before it missing, it is refused rather than zeros written for a gap up to it.
frames meta 1 100000 1444 data 1 0 0 1444 data 1 70000 $((1444 * 70000)) 1444
rx --on-gap=zero
check "far frame, seq to match: no zeros for it ($(file_size "$T/out") bytes)" [ "$(file_size "$T/out")" = 1444 ]
check "far frame, seq to match: counted as past_total" [ "$(conflicting past_total)" = 1 ]
check "far frame, seq to match: said" says "^tpipe: refused a DATA frame: frame 70000 at offset 101080000 lies past the 100000 bytes META declared"
# Frames past META's total that come early still wait for the frames before them (a file that
# grew while the sender read it): nothing lost.
frames meta 1 3000 1000 data 1 0 0 1000 data 1 1 1000 1000 data 1 2 2000 1000 data 1 4 4000 1000 \
	data 1 3 3000 1000 data 1 5 5000 500 end 1 5500 6
pattern 5500
rx
expect_clean_json "frames past META's total, reordered: all there" said
check "past META's total, reordered: nothing refused" [ "$(conflicting past_total)" = 0 ]
# The same forged frame in front of a good stream: refused, and the stream comes through.
{ "$FR" meta 1 100000 1444 data 1 1 $((1444 * 70000)) 1444; "$FR" stream 1 100000 1444; } >"$T/in"
pattern 100000
rx --on-gap=zero
expect_clean_json "a forged far frame before a good stream, --on-gap=zero: exit 0, exact" said
check "the forged frame is counted" [ "$(conflicting out_of_line)" = 1 ]
# Without META (its total unknown), the sequence number bounds the offset: frame 1 starts at
# most one frame in.
frames data 1 0 0 1444 data 1 1 $((1444 * 70000)) 1444 data 1 1 1444 1444 end 1 2888 2
pattern 2888
rx --on-gap=zero
expect_clean_json "no META, a frame whose offset its seq cannot have: refused, exact" said
check "no META: counted as out_of_line" [ "$(conflicting out_of_line)" = 1 ]
check "no META: no zeros" [ "$(grep -o '"zero_bytes":[0-9]*' "$T/err" | cut -d: -f2)" = 0 ]
# A frame at 1 TiB with a seq to match needs END's or META's total to be refused: with META's.
frames meta 1 100000 1444 data 1 0 0 1444 data 1 761427665 1099511627776 1444
rx --on-gap=zero
check "a frame at 1 TiB (seq to match): refused, nothing written for it" \
	[ "$(file_size "$T/out")" = 1444 ] && [ "$(conflicting past_total)" = 1 ]

# An END far past META's total, before any data past that total: refused (a grown file's data
# past the total comes before its END), so no zeros for the tail it would declare.
frames meta 1 1000 100 data 1 0 0 100 end 1 429496729500 4294967295 0
rx --on-gap=zero
check "END far past META's total: refused, no zeros for it ($(file_size "$T/out") bytes)" \
	[ "$(file_size "$T/out")" = 100 ] && [ "$(conflicting end)" = 1 ]
# A stream that grew past META's total: its END, after the data, is taken.
frames meta 1 200 100 data 1 0 0 100 data 1 1 100 100 data 1 2 200 100 end 1 300 3
pattern 300
rx
expect_clean_json "a stream that grew past META's total: exact, exit 0" said
# An empty DATA frame (no sender sends one) cannot claim sequence numbers; nor can seq 2^32-1.
{ "$FR" meta 1 100000 1444 data 1 0 0 1444 data 1 5 1444 0 data 1 4294967295 5000000 1444; "$FR" stream 1 100000 1444; } >"$T/in"
pattern 100000
rx
expect_clean_json "an empty DATA frame and one with seq 2^32-1 before a good stream: exit 0" said
check "the empty frame and seq 2^32-1: refused as out_of_line" [ "$(conflicting out_of_line)" = 2 ]
# -S: the verified bytes written are counted, the last piece that --size cut included.
frames stream 1 3000 1444
rx -S -s 100
check "-D -S -s 100: 100 bytes, counted as verified" bash -c '[ "$(wc -c <"$1")" = 100 ] && grep -q "\"verified_bytes\":100," "$2"' _ "$T/out" "$T/err"
rx -S -s 3000
check "-D -S -s 3000: all, counted" grep -q '"verified_bytes":3000,' "$T/err"

# ---- items 5 and 6: contradictions are refused, said, counted; status 3 always says why ----
# An END in the middle (fewer bytes than arrived): refused; the real END completes it.
frames meta 1 5000 1444 data 1 0 0 1444 data 1 1 1444 1444 end 1 1444 1 data 1 2 2888 1444 \
	data 1 3 4332 668 end 1 5000 4
pattern 5000
rx
expect_clean_json "an END in the middle, then the real one: exit 0, exact" said
check "END in the middle: refused and said" says '^tpipe: refused an END frame: END declares 1444 bytes, but data up to offset 2888 arrived$'
check "END in the middle: counted" [ "$(conflicting end)" = 1 ]
# ... and with no real END after it: status 3, and why.
frames meta 1 5000 1444 data 1 0 0 1444 data 1 1 1444 1444 end 1 1444 1
rx
expect_status 3 "an END in the middle and none after"
check "END in the middle, none after: the missing end is said" says '^tpipe: lost data: the stream.s end is missing'
# Two ENDs that disagree: the first stands, the second is refused and said.
{ "$FR" stream 1 10000 1444; "$FR" end 1 5000 4; } >"$T/in"
pattern 10000
rx
expect_clean_json "a second END that disagrees after a whole stream: exit 0" said
check "ENDs disagree: said" says '^tpipe: refused an END frame: END frames disagree: 5000 bytes in 4 frames'
# The disagreeing END first: it stands, data past it is refused, and status 3 says why.
{ "$FR" meta 1 10000 1444 end 1 5000 4; "$FR" stream 1 10000 1444; } >"$T/in"
rx
expect_status 3 "a forged END first"
check "forged END first: the output stops at what it declared" [ "$(file_size "$T/out")" -le 5000 ]
check "forged END first: data past it refused" [ "$(conflicting past_total)" -ge 1 ]
check "forged END first: status 3 says why" says '^tpipe: (stream digest|lost )'
# A payload longer than META's frame size.
frames meta 1 3000 1000 data 1 0 0 1444 data 1 0 0 1000 data 1 1 1000 1000 data 1 2 2000 1000 end 1 3000 3
pattern 3000
rx
expect_clean_json "a payload longer than META's frame size: refused, the rest exact" said
check "too long: said" says '^tpipe: refused a DATA frame: frame 0 carries 1444 bytes, more than META.s frame size of 1000$'
check "too long: counted" [ "$(conflicting too_long)" = 1 ]
# Other bytes for a frame already written (same seq, same place): refused, not a duplicate.
frames meta 1 3000 1444 data 1 0 0 1444 fill 1 0 0 1444 7 data 1 1 1444 1444 data 1 2 2888 112 end 1 3000 3
pattern 3000
rx
expect_clean_json "other bytes for a frame already written: refused, the output is the first" said
check "overlap: counted" [ "$(conflicting overlap)" = 1 ]
# A frame that overlaps a held one, out of order.
frames meta 1 3000 2000 data 1 1 1444 1444 fill 1 0 0 1500 9 data 1 0 0 1444 data 1 2 2888 112 end 1 3000 3
pattern 3000
rx
expect_clean_json "a frame overlapping a held one: refused" said
check "overlap with a held frame: counted as overlap" [ "$(conflicting overlap)" = 1 ]
# Data past END's total is never written: the output is exactly what END declares.
frames meta 1 3000 1444 data 1 0 0 1444 end 1 3000 3 data 1 3 3000 1444 data 1 1 1444 1444 data 1 2 2888 112
pattern 3000
rx
expect_clean_json "data past END's total: refused, the output is END's 3000 bytes" said
check "past END: counted" [ "$(conflicting past_total)" = 1 ]
# A wrong digest: status 3 and one line saying so.
frames meta 1 3000 1444 data 1 0 0 1444 data 1 1 1444 1444 data 1 2 2888 112 end 1 3000 3 12345
rx
expect_status 3 "a digest that does not match"
check "a wrong digest is said" says '^tpipe: stream digest: does not match the data written$'
# Every status 3 has a line before the JSON.
check "status 3 always says why (wrong digest)" [ -n "$(err_lines)" ]

# ---- item 10: streams after the end -------------------------------------------------------
"$FR" stream 1 100000 1444 >"$T/a.tpf"
"$FR" stream 2 50000 1444 >"$T/b.tpf"
cat "$T/a.tpf" "$T/b.tpf" >"$T/in"
pattern 100000
rx
expect_clean_json "cat a.tpf b.tpf | tpipe -D: a, exit 0" said
check "the frames after the end are said" says '^tpipe: standard input: 37 frames after the end, ignored$'
check "and counted" [ "$(json_num after_end "$T/err")" = 37 ]
# tpipe's own repeats after the end are copies, not "after the end".
want=$(pattern_file 300000)
"$TPIPE" -F --repeat 2 "$want" >"$T/in"
run "$TPIPE" -D --stats=json <"$T/in"
check "--repeat 2: nothing after the end" bash -c '[ "$1" = 0 ] && ! grep -q "after the end" "$2"' _ "$status" "$T/err"

# ---- item 4: the output's reader going away is quiet; a write error is one true line ------
"$FR" stream 1 20000000 1444 | with_timeout "$TMO" "$TPIPE" -D 2>"$T/err" | head -c 100 >/dev/null
status_is 141 "${PIPESTATUS[1]}" "-D | head -c 100" "$T/err"
expect_stderr_empty "-D | head -c 100: no false loss line"
"$FR" stream 1 20000000 1444 >"$T/in"
for eng in $(engines); do
	[ "$eng" = auto ] && continue
	with_timeout "$TMO" "$TPIPE" -D --engine="$eng" <"$T/in" >/dev/full 2>"$T/err"
	status_is 1 "$?" "-D > /dev/full, --engine=$eng" "$T/err"
	expect_stderr_line '^tpipe: standard output: No space left on device$' "-D > /dev/full, --engine=$eng"
done

# ---- item 7: done is 100 % ----------------------------------------------------------------
want=$(pattern_file 3000000)
"$TPIPE" -F "$want" >"$T/in"
# -n --format: the amount and the percentage on one line.
NF='%b %{progress-amount-only}'
run "$TPIPE" -D -n --format "$NF" <"$T/in"
check "-D -n: the last line is 100 % (META's total, not the framed file's size)" \
	bash -c '[ "$(tail -n 1 "$1")" = "3000000 100" ]' _ "$T/err"
run "$TPIPE" -F -n --format "$NF" "$want"
check "-F -n: the last line is 100 % (the payload, not the frames)" \
	bash -c '[ "$(tail -n 1 "$1")" = "3000000 100" ]' _ "$T/err"
run "$TPIPE" -F -n -L 30MB --frame-size 1000 "$want"
check "-F -n, paced, small frames: 100 %" \
	bash -c '[ "$(tail -n 1 "$1")" = "100" ]' _ "$T/err"

finish
