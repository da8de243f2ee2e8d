#!/bin/bash
# Engines: the silent fallback to write() when io_uring is refused (EPERM, ENOSYS, EINVAL,
# through the tests/no-uring seccomp wrapper), --engine=uring refusing to fall back, and
# non-blocking pipes on either side.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

n=$((3 * MiB + 777))
in=$(pattern_file "$n")

if [ -x "$NOURING" ]; then
	for errno in EPERM ENOSYS EINVAL; do
		nu=("$NOURING" "$errno" --)
		for eng in "" --engine=auto; do
			label="io_uring refused ($errno), ${eng:-default engine}"
			"$TPGEN" gen "$n" -r 70000 | with_timeout "$TMO" "${nu[@]}" "$TPIPE" $eng 2>"$T/err" |
				"$TPGEN" check "$n"
			sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
			expect_pipeline "$label, pipe -> pipe (falls back silently)" "$sg" "$st" "$sc"

			run "${nu[@]}" "$TPIPE" $eng -o "$T/got" "$in"
			expect_clean "$label, file -> -o file" "$T/got" "$in"

			{ printf 'head\n'; cat "$in"; printf 'tail\n'; } >"$T/want"
			{
				printf 'head\n'
				with_timeout "$TMO" "${nu[@]}" "$TPIPE" $eng <"$in" 2>"$T/err"
				echo $? >"$T/st"
				printf 'tail\n'
			} >"$T/got"
			status=$(cat "$T/st")
			expect_clean "$label, (echo head; tpipe; echo tail) > file" "$T/got" "$T/want"

			"$TPGEN" gen 100000000000 2>/dev/null |
				with_timeout 20 "${nu[@]}" "$TPIPE" $eng 2>"$T/err" | head -c 10 >/dev/null
			status_is 141 "${PIPESTATUS[1]}" "$label, reader goes away" "$T/err"
		done

		run "${nu[@]}" "$TPIPE" --engine=write <"$in"
		expect_clean "io_uring refused ($errno), --engine=write" "$T/out" "$in"

		# (To a file of its own: a file inherited as stdout is written with write() anyway.)
		rm -f "$T/got"
		run "${nu[@]}" "$TPIPE" --engine=uring -o "$T/got" <"$in"
		expect_status 1 "io_uring refused ($errno), --engine=uring"
		expect_stderr_line '^tpipe: io_uring: .+' "io_uring refused ($errno), --engine=uring"
		expect_stdout_empty "io_uring refused ($errno), --engine=uring"
	done
else
	skip_missing tests/no-uring "the io_uring fallback (libseccomp)"
fi

# Non-blocking pipes: tpipe must wait for room (EAGAIN) or data, never lose or repeat a byte.
nb() { # nb DESC FDS TPIPE ARGS... : producer | (FDS set O_NONBLOCK) tpipe | slow consumer
	local desc=$1 fds=$2
	shift 2
	"$TPGEN" gen "$n" -r 70000 -w 1 |
		with_timeout "$TMO" "$TPGEN" nonblock "$fds" "$TPIPE" "$@" 2>"$T/err" |
		"$TPGEN" check "$n" -r 16384 -w 1
	local sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
	expect_pipeline "$desc" "$sg" "$st" "$sc"
}
for eng in $(engines); do
	nb "non-blocking stdout, slow consumer, --engine=$eng" 1 --engine="$eng"
	nb "non-blocking stdin and stdout, --engine=$eng" 0,1 --engine="$eng"
	nb "non-blocking stdout, tiny ring, --engine=$eng" 1 --engine="$eng" -B 8K -C 4K
done
nb "non-blocking stdin, --engine=auto" 0 --engine=auto
if [ -x "$NOURING" ]; then
	"$TPGEN" gen "$n" -r 70000 |
		with_timeout "$TMO" "$NOURING" EPERM -- "$TPGEN" nonblock 1 "$TPIPE" 2>"$T/err" |
		"$TPGEN" check "$n" -r 16384 -w 1
	sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
	expect_pipeline "non-blocking stdout, io_uring refused" "$sg" "$st" "$sc"
fi

finish
