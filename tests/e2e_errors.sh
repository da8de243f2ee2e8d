#!/bin/bash
# Bad output, full disk, closed descriptors and usage errors: one clear line and the documented
# status, never a hang or stray output.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

"$TPGEN" gen 100000 >"$T/in"
mkdir "$T/dir"

# --- output that cannot be opened ---------------------------------------------------------
tp -o /nonexistent/dir/f <"$T/in"
expect_status 1 "-o /nonexistent/dir/f"
expect_stderr_line '^tpipe: /nonexistent/dir/f: No such file or directory$' "-o /nonexistent/dir/f"
expect_stdout_empty "-o /nonexistent/dir/f"

tp -o "$T/dir" <"$T/in"
expect_status 1 "-o a directory"
expect_stderr_line "^tpipe: $T/dir: Is a directory\$" "-o a directory"
expect_stdout_empty "-o a directory"

# --- a full disk --------------------------------------------------------------------------
if [ -w /dev/full ]; then
	for eng in $(engines); do
		e=--engine=$eng
		tp "$e" -o /dev/full <"$T/in"
		expect_status 1 "-o /dev/full, small input, $e"
		expect_stderr_line '^tpipe: /dev/full: No space left on device$' "-o /dev/full, small input, $e"

		tp "$e" -S -s 100M -o /dev/full /dev/zero
		expect_status 1 "-o /dev/full, 100M from /dev/zero, $e"
		expect_stderr_line '^tpipe: /dev/full: No space left on device$' "-o /dev/full, 100M from /dev/zero, $e"
		expect_stdout_empty "-o /dev/full, $e"

		with_timeout "$TMO" "$TPIPE" "$e" -S -s 100M </dev/zero >/dev/full 2>"$T/err"
		status=$?
		_last_cmd="tpipe $e -S -s 100M < /dev/zero > /dev/full"
		expect_status 1 "> /dev/full, 100M from /dev/zero, $e"
		expect_stderr_line '^tpipe: standard output: No space left on device$' "> /dev/full, $e"

		# an endless producer: tpipe must stop on the error, not wait for the input to end
		"$TPGEN" gen 100000000000 2>/dev/null | with_timeout "$TMO" "$TPIPE" "$e" >/dev/full 2>"$T/err"
		status=${PIPESTATUS[1]}
		_last_cmd="tp-gen gen 100G | tpipe $e > /dev/full"
		expect_status 1 "endless pipe > /dev/full, $e"
		expect_stderr_line '^tpipe: standard output: No space left on device$' "endless pipe > /dev/full, $e"
	done
else
	skip "/dev/full is not writable here"
fi

# --- closed standard descriptors ----------------------------------------------------------
with_timeout "$TMO" "$TPIPE" <"$T/in" 2>"$T/err" >&-
status=$?
_last_cmd="tpipe < in >&-"
expect_status 1 "stdout closed"
expect_stderr_line '^tpipe: standard output: ' "stdout closed"

with_timeout "$TMO" "$TPIPE" "$T/in" 2>"$T/err" >&-
status=$?
_last_cmd="tpipe FILE >&-"
expect_status 1 "stdout closed, input a file"
expect_stderr_line '^tpipe: standard output: ' "stdout closed, input a file"

with_timeout 20 "$TPIPE" <&- >"$T/out" 2>"$T/err"
status=$?
_last_cmd="tpipe <&-"
expect_status 1 "stdin closed"
expect_stderr_line '^tpipe: standard input: ' "stdin closed"
expect_stdout_empty "stdin closed"

# stderr closed: a message must not end up in the output file (which may get descriptor 2)
printf 'abc' >"$T/small"
with_timeout "$TMO" "$TPIPE" -o "$T/got" "$T/small" "$T/nosuch" 2>&-
status=$?
_last_cmd="tpipe -o got small nosuch 2>&-"
expect_status 1 "stderr closed, a missing input"
same_file "$T/got" "$T/small" "stderr closed, a missing input: the output file holds only the data"

# --- usage errors -------------------------------------------------------------------------
# usage_error DESC ARGS...: status 2, one line "tpipe: ...", nothing on stdout, input unread.
usage_error() {
	local desc=$1
	shift
	run "$TPIPE" "$@" <"$T/in"
	expect_status 2 "$desc"
	expect_stdout_empty "$desc"
	expect_stderr_line '' "$desc"
}

for opt in -B -C -s; do
	for bad in 12Q -5 '' 99999999999999999999 18446744073709551616 17179869184G 1.5 K 1KK 1MQ ' ' '1 M' 0x; do
		if [ "$opt" = -s ]; then
			usage_error "-S -s '$bad'" -S -s "$bad"
		else
			usage_error "$opt '$bad'" "$opt" "$bad"
		fi
	done
done
usage_error "--buffer-size=12Q" --buffer-size=12Q
usage_error "--chunk-size=" --chunk-size=
usage_error "--size=-5" --size=-5
usage_error "-B 0" -B 0
usage_error "-C 0" -C 0
usage_error "-S without -s" -S
usage_error "-C larger than half of -B" -B 1M -C 513K
usage_error "-C equal to -B" -B 1M -C 1M
usage_error "--engine=bogus" --engine=bogus
usage_error "--engine= (empty)" --engine=

usage_error "--repeat ' 1' (a space, which sizes refuse too)" -F --repeat ' 1'
usage_error "--repeat +5 (a sign)" -F --repeat +5
usage_error "--repeat 1.0" -F --repeat 1.0
usage_error "--baud +5" --baud +5 -o serial:/dev/null
usage_error "--baud ' 9600'" --baud ' 9600' -o serial:/dev/null
usage_error "-o '' (an empty name)" -o ''
usage_error "an empty INPUT name" ''
run "$TPIPE" -o '' <"$T/in"
expect_stderr_line "^tpipe: --output: '' is not a file name$" "-o '': the message names the option"
usage_error "-B 8K -C 4097 (a chunk is whole pages: 8K, all of -B)" -B 8K -C 4097

tp -B 1M -C 512K <"$T/in"
expect_clean "-C exactly half of -B is fine" "$T/out" "$T/in"
# Chunks are counted after rounding to whole pages: 10 bytes is one page, 4096 chunks.
tp -C 10 <"$T/in"
expect_clean "-C 10 (one page a chunk)" "$T/out" "$T/in"
tp -S -s 0 <"$T/in"
expect_clean "-S -s 0: stops before the first byte" "$T/out" /dev/null
tp -F --repeat 007 <"$T/in"
expect_status 0 "--repeat 007 (leading zeros are digits)"

for args in --bogus -x "-B" "-o" "--engine" "-N"; do
	# shellcheck disable=SC2086
	run "$TPIPE" $args <"$T/in"
	expect_status 2 "unknown option or missing argument: $args"
	expect_stdout_empty "$args"
	check "$args: the first stderr line starts 'tpipe: '" grep -q '^tpipe: ' <(head -n 1 "$T/err")
done

finish
