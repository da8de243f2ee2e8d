#!/bin/bash
# Line mode (-l, -0): the lines counted (--stats=json's "lines") are what `wc -l` counts, or
# the NULs with -0, for inputs of every shape (empty, no final newline, one 5 MB line, a
# million short lines, binary), with every engine that applies; -s N -S ends just after the
# N-th line, as `head -n N` (and `head -z -n N`); -L paces lines and loses none; and the
# bytes out are the bytes in every time. Times of the paced runs are printed, never asserted.
seconds() { grep -o '"seconds":[0-9.]*' "$T/err" | cut -d: -f2; } # of the last --stats=json
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# The inputs, each in a file: name, then how it is made.
printf '' >"$T/empty"
printf 'one\ntwo\nthree' >"$T/no-final"
printf '\n\n\n' >"$T/blank"
{ head -c $((5 * MiB)) /dev/zero | tr '\0' x; echo; } >"$T/huge"
head -c $((5 * MiB)) /dev/zero | tr '\0' y >"$T/huge-open"
seq 1 1000000 >"$T/short"
tr '\n' '\0' <"$T/short" >"$T/short0"
cp "$(pattern_file $((3 * MiB + 5)))" "$T/binary"
texts="empty no-final blank huge huge-open short binary"
nuls="empty short0 binary huge"

# What wc -l counts, and the NULs, of each input, once.
declare -A lines nuls
for f in $texts; do lines[$f]=$(wc -l <"$T/$f" | tr -d ' '); done
for f in $nuls; do nuls[$f]=$(tr -cd '\0' <"$T/$f" | wc -c | tr -d ' '); done

# counted DESC WANT_LINES IN: the last run ($T/out, $T/err from --stats=json) exited 0 with
# the input byte-exact on stdout, and --stats=json says the bytes and WANT_LINES lines.
counted() {
	local desc=$1 want=$2 in=$3 bad=0 got bytes
	got=$(json_num lines "$T/err")
	bytes=$(json_num bytes "$T/err")
	if [ "$status" != 0 ]; then
		note "exit status $status$(timed_out "$status" && echo " (timed out: a hang)")"
		bad=1
	fi
	if ! cmp -s "$T/out" "$in"; then
		note "output: $(wc -c <"$T/out") bytes, not the $(wc -c <"$in") of the input"
		bad=1
	fi
	if [ "$got" != "$want" ] || [ "$bytes" != "$(wc -c <"$in" | tr -d ' ')" ]; then
		note "lines $got (want $want), bytes $bytes (want $(wc -c <"$in"))"
		_show_err
		bad=1
	fi
	_report "$bad" "$desc: byte-exact, $want lines counted"
}

# through ENGINE ARGS... <IN: tpipe into a pipe (so that uring, and auto's choice, apply;
# a file inherited as stdout would get write() anyway), stdout in $T/out, stderr in $T/err.
# A small ring (-B 1M: chunks of 256K) starts sooner and cuts more lines at chunk ends.
through() {
	local eng=$1
	shift
	with_timeout "$TMO" "$TPIPE" --engine="$eng" -B 1M -q --stats=json "$@" 2>"$T/err" |
		cat >"$T/out"
	status=${PIPESTATUS[0]}
}

for eng in $(engines); do
	for f in $texts; do
		through "$eng" -l <"$T/$f"
		counted "-l --engine=$eng, $f" "${lines[$f]}" "$T/$f"
	done
	for f in $nuls; do
		through "$eng" -0 <"$T/$f"
		counted "-0 --engine=$eng, $f" "${nuls[$f]}" "$T/$f"
	done
	# Into a file of its own (-o): io_uring at offsets, not the stream path.
	run "$TPIPE" --engine="$eng" -l --stats=json -o "$T/got" "$T/short"
	cp "$T/got" "$T/out" 2>/dev/null
	counted "-l --engine=$eng, -o file" "${lines[short]}" "$T/short"
done
# Several inputs, and standard output a file (write(): its position is shared).
cat "$T/no-final" "$T/short" "$T/no-final" >"$T/want"
run "$TPIPE" -l --stats=json "$T/no-final" "$T/short" "$T/no-final"
counted "-l, three inputs, stdout a file" $((lines[short] + 4)) "$T/want"

# The splice path never has the bytes: -l takes io_uring or write() instead, and says why.
with_timeout "$TMO" "$TPIPE" -l --explain <"$T/short" 2>"$T/err" | cat >/dev/null
if grep -q '^tpipe: engine: \(io_uring\|write\) .*-l counts the lines' "$T/err"; then
	pass "-l into a pipe: not the splice engine, and --explain says why"
else
	_show_err
	fail "-l into a pipe: not the splice engine, and --explain says why"
fi
run "$TPIPE" -l --engine=splice </dev/null
expect_status 2 "-l --engine=splice"
expect_stderr_line 'engine=splice: -l counts the lines' "-l --engine=splice"

# --stats in text says the lines too.
run "$TPIPE" -0 --stats <"$T/short0"
if grep -q '^tpipe: lines: 1000000 (NUL-terminated), ' "$T/err"; then
	pass "-0 --stats: the lines in the text summary"
else
	_show_err
	fail "-0 --stats: the lines in the text summary"
fi

# -s N -S: exactly the first N lines, as head -n N (head -z -n N for -0), the last line's
# terminator included; fewer lines than N: all of the input.
stops() { # stops DESC WANT ARGS... <IN
	local desc=$1 want=$2
	shift 2
	run "$TPIPE" -B 1M "$@"
	expect_clean "$desc" "$T/out" "$want"
}
for n in 0 1 65536 999999 1000000 1000001; do
	head -n "$n" "$T/short" >"$T/want"
	stops "-l -s $n -S, a million lines from a file" "$T/want" -l -s "$n" -S "$T/short"
done
for n in 1 12345; do
	head -n "$n" "$T/short" >"$T/want"
	for eng in $(engines); do
		with_timeout "$TMO" "$TPIPE" --engine="$eng" -l -s "$n" -S <"$T/short" 2>"$T/err" |
			cat >"$T/out"
		status=${PIPESTATUS[0]}
		expect_clean "-l -s $n -S --engine=$eng, from a pipe into a pipe" "$T/out" "$T/want"
	done
	# From a pipe that brings the lines in small reads.
	cat "$T/short" | with_timeout "$TMO" "$TPIPE" -l -s "$n" -S 2>"$T/err" >"$T/out"
	status=${PIPESTATUS[1]}
	expect_clean "-l -s $n -S, input a pipe" "$T/out" "$T/want"
done
for n in 2 3 4; do
	head -n "$n" "$T/no-final" >"$T/want"
	stops "-l -s $n -S, no final newline" "$T/want" -l -s "$n" -S "$T/no-final"
done
head -n 1 "$T/huge" >"$T/want"
stops "-l -s 1 -S, a 5 MB line then more" "$T/want" -l -s 1 -S "$T/huge" "$T/short"
# Across inputs: the limit counts the lines of all of them.
cat "$T/no-final" "$T/short" | head -n 5 >"$T/want"
stops "-l -s 5 -S, across two inputs" "$T/want" -l -s 5 -S "$T/no-final" "$T/short"
for n in 0 7 500000 1000000 2000000; do
	head -z -n "$n" "$T/short0" >"$T/want"
	stops "-0 -s $n -S, NUL-separated" "$T/want" -0 -s "$n" -S "$T/short0"
done
head -z -n 1000 "$T/binary" >"$T/want"
stops "-0 -s 1000 -S, binary input" "$T/want" -0 -s 1000 -S "$T/binary"
head -n 1000 "$T/binary" >"$T/want"
stops "-l -s 1000 -S, binary input" "$T/want" -l -s 1000 -S "$T/binary"

# -L in lines: 300 lines at 100 a second take about 3 s; none is lost.
t0=$(date +%s.%N)
got=$(seq 1 300 | with_timeout "$TMO" "$TPIPE" -l -L 100 2>"$T/err" | wc -l)
t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "# seq 1 300 | tpipe -l -L 100: $secs s (about 3 s)"
if [ "$got" = 300 ] && [ ! -s "$T/err" ]; then
	pass "-l -L 100: 300 lines out of 300"
else
	note "$got lines"
	_show_err
	fail "-l -L 100: 300 lines out of 300"
fi
seq 1 2000 | tr '\n' '\0' >"$T/in"
for eng in $(engines); do
	through "$eng" -0 -L 8000 <"$T/in"
	counted "-0 -L 8000 --engine=$eng" 2000 "$T/in"
	echo "# -0 -L 8000, 2000 lines: $(seconds) s (about 0.25 s)"
done
# A line far longer than a chunk (-C 64K) still goes out, and the lines around it are paced.
{ seq 1 20; cat "$T/huge"; seq 1 20; } >"$T/in"
through auto -l -L 200 -C 64K <"$T/in"
counted "-l -L 200, a 5 MB line among 40 short ones" 41 "$T/in"
echo "# -l -L 200, 41 lines: $(seconds) s (about 0.2 s)"
head -n 300000 "$T/short" >"$T/in"
through auto -l -L 1000000 <"$T/in"
counted "-l -L 1000000, 300000 short lines" 300000 "$T/in"
echo "# -l -L 1000000, 300000 lines: $(seconds) s (about 0.3 s)"

finish
