#!/bin/bash
# The command line: --help, --version, --usage, long and short forms, every size suffix, and
# -N in the status line.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

tp --help </dev/null
expect_status 0 "--help"
expect_stderr_empty "--help"
for o in -o --output --append -B --buffer-size -C --chunk-size -s --size -S --stop-at-size \
	-N --name --engine -V --version --help --usage; do
	check "--help mentions $o" grep -qe "$o\\b" "$T/out"
done
check "--help names the engines" grep -q 'auto|splice|uring|write' "$T/out"
check "--help explains the size suffixes" grep -q 'kB' "$T/out"

tp -? </dev/null
expect_status 0 "-?"
check "-? prints the same help" grep -q -- '--buffer-size' "$T/out"

for v in --version -V; do
	tp "$v" </dev/null
	expect_status 0 "$v"
	expect_stderr_empty "$v"
	check "$v prints 'tpipe VERSION'" grep -Eq '^tpipe [0-9]+\.[0-9]+' "$T/out"
done

tp --usage </dev/null
expect_status 0 "--usage"
check "--usage prints a usage line naming the options" grep -q -- '--engine' "$T/out"

# Sizes: every suffix, as buffer, chunk and size. Each must round-trip exactly.
"$TPGEN" gen $((2 * MiB + 1)) >"$T/in"
for args in "-B 1M -C 64K" "-B 1048576" "-B 2MB -C 100kB" "-B 64K -C 4K" "-B 1G -C 1M" \
	"-B 8M -C auto" "-B 3000000 -C 4096" "-B 5MB -C 1MB" "--buffer-size=1M --chunk-size=64K" \
	"--buffer-size 2M --chunk-size 512K" "-B1M -C64K" "-s 1T" "-s 1TB" "-s 5G" "-s 5GB" \
	"-s 100kB" "-s 0" "--size=1K" "-N job" "--name=job" "-o -" "--output=-" "--engine auto"; do
	# shellcheck disable=SC2086
	tp $args "$T/in"
	expect_clean "tpipe $args" "$T/out" "$T/in"
done

# The suffixes mean what they say: -S -s N copies exactly N bytes.
for pair in 1K:1024 1kB:1000 3M:3145728 3MB:3000000 123:123 2K:2048 1G:1073741824 \
	1GB:1000000000; do
	sz=${pair%%:*} want=${pair#*:}
	got=$(with_timeout "$TMO" "$TPIPE" -S -s "$sz" /dev/zero 2>"$T/err" | wc -c)
	check "-S -s $sz copies exactly $want bytes (got $got)" test "$got" = "$want"
done

# -N appears in the SIGUSR1 status line.
mkfifo "$T/fifo"
"$TPIPE" -N my-job <"$T/fifo" >"$T/out" 2>"$T/err" &
track $!
tp=$!
exec 3>"$T/fifo"
echo hello >&3
wait_for 20 size_at_least "$T/out" 6
kill -USR1 "$tp"
check "-N: a status line after SIGUSR1" wait_for 10 lines_at_least "$T/err" 1
check "-N my-job: the status line names it" grep -q '^tpipe: .*my-job' "$T/err"
exec 3>&-
wait_exit "$tp" 20
status_is 0 "$status" "-N my-job after SIGUSR1" "$T/err"

# ---- the man page ------------------------------------------------------------------------
man=$SRCDIR/man/tpipe.1
if command -v groff >/dev/null; then
	groff -t -ww -man -Tutf8 "$man" >/dev/null 2>"$T/groff"
	check "man/tpipe.1 renders without a warning" [ ! -s "$T/groff" ]
else
	skip_missing groff "man/tpipe.1 renders without a warning"
fi
for opt in $("$TPIPE" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	case $opt in --help | --usage | --version) continue ;; esac
	check "the man page documents $opt" grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" "$man"
done

# ---- the test library itself: a missing tool skips, except under CI ----------------------
printf '. "%s/tests/lib.sh"\nskip_missing no-such-tool "a check that needs it"\nfinish\n' "$SRCDIR" >"$T/skipper"
CI= bash "$T/skipper" >"$T/skip.out" 2>&1
check "skip_missing outside CI: the check is skipped, the test passes" \
	bash -c '[ $1 = 0 ] && grep -q "# SKIP a check that needs it" "$2"' _ $? "$T/skip.out"
CI=true bash "$T/skipper" >"$T/skip.out" 2>&1
check "skip_missing under CI=true: the check fails, and so does the test" \
	bash -c '[ $1 = 1 ] && grep -q "^not ok 1 - a check that needs it" "$2"' _ $? "$T/skip.out"

finish
