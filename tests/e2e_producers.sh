#!/bin/bash
# Producers that deliver odd pieces or pause, slow consumers, tiny rings, and latency: data that
# arrives and then pauses must go out at once.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# through DESC SIZE "GEN ARGS" "TPIPE ARGS" "CHECK ARGS"
through() {
	local desc=$1 n=$2 ga=$3 ta=$4 ca=$5
	# shellcheck disable=SC2086
	"$TPGEN" gen "$n" $ga | with_timeout "$TMO" "$TPIPE" $ta 2>"$T/err" | "$TPGEN" check "$n" $ca
	local sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
	expect_pipeline "$desc" "$sg" "$st" "$sc"
}

for eng in $(engines); do
	e="--engine=$eng"
	through "1-byte pieces, $e" 30000 "-r 1" "$e" ""
	through "pieces of 1..7 bytes, $e" 300000 "-r 7" "$e" ""
	through "pieces of 1..70000 bytes, $e" $((6 * MiB + 5)) "-r 70000" "$e" ""
	through "pieces of 1..7 bytes, -C 4K, $e" 100000 "-r 7 -s 3" "$e -C 4K -B 64K" "-s 3"
	through "producer pausing 20 ms between 50 kB pieces, $e" 1000000 "-p 50000 -w 20" "$e" ""
	through "producer pausing 2 ms between odd pieces, $e" 300000 "-r 9000 -w 2" "$e" ""
	through "slow consumer (reads <= 4 KiB, 1 ms apart), small ring, $e" $((2 * MiB)) "-r 70000" \
		"$e -B 128K -C 16K" "-r 4096 -w 1"
	through "tiny ring -B 8K -C 4K, odd pieces both sides, $e" $((2 * MiB + 3)) "-r 70000" \
		"$e -B 8K -C 4K" "-r 5000"
	through "tiny ring -B 8K -C 4K, paused producer and slow consumer, $e" 200000 "-r 3000 -w 1" \
		"$e -B 8K -C 4K" "-r 999 -w 1"
done

# Latency: a line that arrives while the input stays open must come out before more input does.
# The producer writes a line, then waits (up to 20 s) for the consumer to say it got it; only
# then does it write the rest and close. If tpipe held the line back (waiting for a chunk to
# fill, or for EOF) the producer would give up waiting and record that.
latency() { # latency DESC ROUNDS [TPIPE ARGS...]
	local desc=$1 rounds=$2 i st
	shift 2
	rm -f "$T"/flag.* "$T/producer" "$T/consumer"
	{
		for ((i = 1; i <= rounds; i++)); do
			echo "line $i"
			if ! wait_for 20 test -e "$T/flag.$i"; then
				echo "round $i: the line did not come out while the input stayed open" >>"$T/producer"
				break
			fi
		done
		echo "last"
	} | with_timeout "$TMO" "$TPIPE" "$@" 2>"$T/err" | {
		for ((i = 1; i <= rounds; i++)); do
			IFS= read -r line || break
			[ "$line" = "line $i" ] || echo "round $i: got '$line'" >>"$T/consumer"
			touch "$T/flag.$i"
		done
		cat >"$T/rest"
	}
	st=${PIPESTATUS[1]}
	local bad=0
	if [ -s "$T/producer" ]; then
		note "$(cat "$T/producer")"
		bad=1
	fi
	if [ -s "$T/consumer" ]; then
		note "$(cat "$T/consumer")"
		bad=1
	fi
	_report "$bad" "latency, $desc: each line comes out while the input stays open"
	status_is 0 "$st" "latency, $desc: after EOF" "$T/err"
	check "latency, $desc: the rest follows" test "$(cat "$T/rest")" = last
}

for eng in $(engines); do
	latency "--engine=$eng" 5 --engine="$eng"
	latency "--engine=$eng, -C 4K" 3 --engine="$eng" -C 4K
done

# The same to a file: the line must reach the file while the input stays open.
for eng in $(engines); do
	rm -f "$T/f" "$T/producer"
	{
		echo hello
		wait_for 20 size_at_least "$T/f" 6 || echo "hello did not reach the file" >"$T/producer"
	} | with_timeout "$TMO" "$TPIPE" --engine="$eng" -o "$T/f" 2>"$T/err"
	st=$?
	if [ -s "$T/producer" ]; then note "$(cat "$T/producer")"; fi
	check "latency to -o file, --engine=$eng: the line is in the file while the input is open" \
		test ! -s "$T/producer"
	status=$st
	printf 'hello\n' >"$T/want"
	expect_clean "latency to -o file, --engine=$eng" "$T/f" "$T/want"
done

# --idle-timeout ends a pipe input that went quiet: the data is there, status 0, and one line
# says what happened.
{ printf 'abc'; sleep 2; } | with_timeout "$TMO" "$TPIPE" --idle-timeout 0.5 >"$T/out" 2>"$T/err"
status_is 0 "$?" "--idle-timeout on a quiet pipe" "$T/err"
check "--idle-timeout on a quiet pipe: the data written" [ "$(cat "$T/out")" = abc ]
expect_stderr_line '^tpipe: standard input: no data for 0.5 s: taken as its end \(--idle-timeout\)$' "--idle-timeout on a quiet pipe"

finish
