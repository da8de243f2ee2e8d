#!/bin/bash
# Byte-exact round trips: sizes around pages and chunks, every engine, every kind of output,
# and one stream over 4 GiB.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

have_uring || skip "io_uring is refused here: the uring engine is not tried"

# default chunks (1 MiB) and -C 64K
sizes_default="0 1 4095 4096 4097 $((MiB - 1)) $MiB $((MiB + 1)) $((3 * MiB + 12345))"
sizes_64k="1 65535 65536 65537 $((5 * 65536 + 7))"

roundtrip() { # roundtrip ENGINE SIZE [TPIPE ARGS...]
	local eng=$1 n=$2 in got sg st sc label
	shift 2
	in=$(pattern_file "$n")
	got=$T/got
	label="$n bytes, --engine=$eng${*:+ $*}"

	# stdin pipe (odd pieces) -> stdout pipe
	"$TPGEN" gen "$n" -r 70000 |
		with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" 2>"$T/err" |
		"$TPGEN" check "$n"
	sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
	expect_pipeline "pipe -> pipe, $label" "$sg" "$st" "$sc"

	# file on stdin -> -o FILE
	rm -f "$got"
	with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" -o "$got" <"$in" >"$T/out" 2>"$T/err"
	status=$?
	[ -s "$T/out" ] && status="$status (and stdout not empty)"
	expect_clean "stdin file -> -o file, $label" "$got" "$in"

	# file argument -> seekable stdout (> f)
	with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" "$in" >"$got" 2>"$T/err"
	status=$?
	expect_clean "file argument -> stdout > file, $label" "$got" "$in"

	# -o over a longer existing file truncates it
	head -c $((n + 5000)) /dev/urandom >"$got"
	with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" -o "$got" "$in" 2>"$T/err"
	status=$?
	expect_clean "-o truncates a longer existing file, $label" "$got" "$in"

	# --append -o FILE keeps what was there
	printf 'existing\n' >"$got"
	{ printf 'existing\n'; cat "$in"; } >"$T/want"
	with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" --append -o "$got" <"$in" 2>"$T/err"
	status=$?
	expect_clean "--append -o file, $label" "$got" "$T/want"

	# stdout opened with O_APPEND (>> f)
	printf 'existing\n' >"$got"
	with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" <"$in" >>"$got" 2>"$T/err"
	status=$?
	expect_clean "stdout >> file, $label" "$got" "$T/want"

	# a shared file descriptor: the position must end up after our data
	{ printf 'head\n'; cat "$in"; printf 'tail\n'; } >"$T/want"
	{
		printf 'head\n'
		with_timeout "$TMO" "$TPIPE" --engine="$eng" "$@" <"$in" 2>"$T/err"
		echo $? >"$T/st"
		printf 'tail\n'
	} >"$got"
	status=$(cat "$T/st")
	expect_clean "(echo head; tpipe; echo tail) > file, $label" "$got" "$T/want"
}

for eng in $(engines); do
	for n in $sizes_default; do
		roundtrip "$eng" "$n"
	done
	for n in $sizes_64k; do
		roundtrip "$eng" "$n" -C 64K
	done
done

# Over 4 GiB, streamed and checked, never stored: the offsets must not wrap at 32 bits.
big=4831838208
"$TPGEN" gen "$big" | with_timeout 300 "$TPIPE" 2>"$T/err" | "$TPGEN" check "$big"
sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
expect_pipeline "4.5 GiB stream (pipe -> pipe)" "$sg" "$st" "$sc"

finish
