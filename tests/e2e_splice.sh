#!/bin/bash
# The splice path (issue 8): a ring of pipes between an input and an output pipe. Byte-exact
# for every kind of input (pipes with big and tiny writes, files, several inputs, a character
# device that splice cannot read), with -S, -L and non-blocking pipes; the ring still holds
# --buffer-size while the consumer reads nothing; the fallback when the pipes are refused.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

through() { # through DESC SIZE "GEN ARGS" "TPIPE ARGS" "CHECK ARGS"
	local desc=$1 n=$2 ga=$3 ta=$4 ca=$5
	# shellcheck disable=SC2086
	"$TPGEN" gen "$n" $ga | with_timeout "$TMO" "$TPIPE" $ta 2>"$T/err" | "$TPGEN" check "$n" $ca
	local sg=${PIPESTATUS[0]} st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
	expect_pipeline "$desc" "$sg" "$st" "$sc"
}

# The engine --explain names, for tpipe's output to a pipe.
engine_for() { # engine_for TPIPE ARGS...
	with_timeout "$TMO" "$TPIPE" --explain "$@" </dev/null 2>"$T/explain" | cat >/dev/null
	sed -n 's/^tpipe: engine: \([a-z_]*\) .*/\1/p' "$T/explain"
}

check "a pipe output takes the splice path by default" test "$(engine_for)" = splice
check "--explain says why: nothing copied" grep -q 'never copied into tpipe' "$T/explain"
e=$(engine_for -F)
check "-F takes the memory path (io_uring or write, got '$e')" test "$e" = io_uring -o "$e" = write
check "--explain says why not: -F" grep -q 'no splice: -F and -D work on the bytes' "$T/explain"
with_timeout "$TMO" "$TPIPE" --explain -o "$T/file" </dev/null 2>"$T/explain"
check "a file output takes the memory path" grep -q 'no splice: the output is not a pipe' "$T/explain"

for n in 0 1 4095 4096 65537 $((1 * MiB + 1)) $((20 * MiB + 3)); do
	through "--engine=splice, $n bytes in pieces up to 64 KiB" "$n" "-r 65536" "--engine=splice" ""
done
through "--engine=splice, 1-byte pieces (read, not spliced)" 20000 "-r 1" "--engine=splice" ""
through "--engine=splice, pieces of 1..5000 bytes, slow consumer" $((3 * MiB)) "-r 5000" \
	"--engine=splice" "-r 4096 -w 1"
through "--engine=splice, producer in 300 kB bursts 5 ms apart" $((4 * MiB)) "-p 300000 -w 5" \
	"--engine=splice" ""
through "--engine=splice, tiny ring -B 8K -C 4K" $((2 * MiB + 3)) "-r 70000" \
	"--engine=splice -B 8K -C 4K" "-r 5000"
through "--engine=splice, -C 12K (pipes of 16 KiB)" $((2 * MiB + 3)) "-r 70000" \
	"--engine=splice -B 96K -C 12K" ""
through "--engine=splice, paced -L 8M" $((2 * MiB + 5)) "-r 70000" "--engine=splice -L 8M" ""

# -S: exactly --size bytes, the rest left unread.
"$TPGEN" gen $((5 * MiB)) 2>/dev/null | with_timeout "$TMO" "$TPIPE" --engine=splice -S -s 1234567 2>"$T/err" |
	"$TPGEN" check 1234567
st=("${PIPESTATUS[@]}")
expect_pipeline "--engine=splice -S -s 1234567" 0 "${st[1]}" "${st[2]}"

# Files, spliced straight from the page cache, and several inputs in a row, a pipe among them.
a=$(pattern_file $((3 * MiB + 11)))
"$TPGEN" gen 70001 -o $((3 * MiB + 11)) >"$T/b"
"$TPGEN" gen $((3 * MiB + 11 + 70001 + 2 * MiB)) | tail -c $((2 * MiB)) >"$T/c"
cat "$a" "$T/b" "$T/c" >"$T/want"
run bash -c 'cat "$4" | "$1" --engine=splice "$2" - "$3" | cat >"$5"' _ "$TPIPE" "$a" "$T/c" "$T/b" "$T/got"
expect_clean "--engine=splice FILE - FILE (a pipe between two files)" "$T/got" "$T/want"

# A character device: FIONREAD cannot say what waits there, so tpipe reads it.
run bash -c '"$1" --engine=splice -S -s 3000000 /dev/zero | cat >"$2"' _ "$TPIPE" "$T/got"
head -c 3000000 /dev/zero >"$T/want"
expect_clean "--engine=splice /dev/zero -S -s 3000000" "$T/got" "$T/want"

# A regular file splice refuses (EINVAL: /proc files without read_iter), between two that it
# takes: tpipe reads that one instead.
if [ -r "/proc/$$/cmdline" ]; then
	cat "$a" "/proc/$$/cmdline" "$T/b" >"$T/want"
	run bash -c '"$1" --engine=splice "$2" "$3" "$4" | cat >"$5"' _ "$TPIPE" "$a" "/proc/$$/cmdline" "$T/b" "$T/got"
	expect_clean "--engine=splice FILE /proc/PID/cmdline FILE (splice refused: read instead)" "$T/got" "$T/want"
else
	skip "no /proc/PID/cmdline to try a file splice refuses"
fi

# Non-blocking pipes on either side.
for fds in 1 0,1; do
	"$TPGEN" gen $((3 * MiB + 777)) -r 70000 -w 1 |
		with_timeout "$TMO" "$TPGEN" nonblock "$fds" "$TPIPE" --engine=splice 2>"$T/err" |
		"$TPGEN" check $((3 * MiB + 777)) -r 16384 -w 1
	st=("${PIPESTATUS[@]}")
	expect_pipeline "--engine=splice, O_NONBLOCK on fd $fds, slow consumer" "${st[@]}"
done

# The ring still buffers: the consumer reads nothing until the producer has written all and
# exited, so -B must hold what the pipes around tpipe cannot. It waits for the producer's
# flag for up to 30 s; a ring that holds less blocks the producer, the flag never comes, and
# the consumer says so (then reads, so nothing hangs).
decoupled() { # decoupled DESC SIZE "GEN ARGS" TPIPE ARGS...
	local desc=$1 n=$2 ga=$3
	shift 3
	rm -f "$T/produced" "$T/early"
	# shellcheck disable=SC2086
	{ "$TPGEN" gen "$n" $ga && touch "$T/produced"; } |
		with_timeout "$TMO" "$TPIPE" "$@" 2>"$T/err" |
		{ wait_for 30 test -e "$T/produced" || touch "$T/early"; "$TPGEN" check "$n"; }
	local st=("${PIPESTATUS[@]}")
	expect_pipeline "$desc" "${st[@]}"
	if [ -e "$T/early" ]; then
		fail "$desc: the producer finished before the consumer read a byte"
	else
		pass "$desc: the producer finished before the consumer read a byte"
	fi
}
decoupled "14 MiB held by -B 16M, big writes, splice" $((14 * MiB)) "-r 65536" --engine=splice -B 16M
decoupled "14 MiB held by -B 16M, writes of 1..4096 bytes, splice" $((14 * MiB)) "-r 4096" \
	--engine=splice -B 16M
decoupled "6 MiB held by -B 8M -C 64K, writes of 1..300 bytes, splice" $((6 * MiB)) "-r 300" \
	--engine=splice -B 8M -C 64K
if have_uring; then
	decoupled "14 MiB held by -B 16M, the io_uring engine" $((14 * MiB)) "-r 65536" --engine=uring -B 16M
fi

# The pipes refused: 32 chunks need 64 descriptors. auto copies through memory instead and
# says why; --engine=splice fails with one line.
n=$((2 * MiB + 1))
"$TPGEN" gen "$n" -r 70000 | (ulimit -n 40 && with_timeout "$TMO" "$TPIPE" --explain -B 16M 2>"$T/explain") |
	"$TPGEN" check "$n"
st=("${PIPESTATUS[@]}")
check "pipes refused (EMFILE): auto still byte-exact" test "${st[*]}" = "0 0 0"
check "pipes refused (EMFILE): --explain names the refusal" \
	grep -q 'a ring of pipes was refused (Too many open files)' "$T/explain"
run bash -c 'ulimit -n 40 && "$1" --engine=splice -B 16M </dev/null | cat; exit "${PIPESTATUS[0]}"' _ "$TPIPE"
expect_status 1 "pipes refused, --engine=splice"
check "pipes refused, --engine=splice: one line" test "$(cat "$T/err")" = \
	"tpipe: --engine=splice: pipes: Too many open files"

# An unprivileged user's pipes count against /proc/sys/fs/pipe-user-pages-soft (64 MiB by
# default): a ring of pipes for -B 64M takes 128 MiB of it and is refused (EPERM).
soft=$(cat /proc/sys/fs/pipe-user-pages-soft 2>/dev/null || echo 0)
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] && [ "$soft" -gt 0 ] &&
	[ "$soft" -le 32768 ]; then
	pub=$T/pub
	mkdir "$pub" && cp "$TPIPE" "$pub/tpipe" && chmod 755 "$T" "$pub"
	"$TPGEN" gen "$n" -r 70000 |
		with_timeout "$TMO" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$pub/tpipe" --explain -B 64M 2>"$T/explain" |
		"$TPGEN" check "$n"
	st=("${PIPESTATUS[@]}")
	check "pipes refused (EPERM, as nobody): auto still byte-exact" test "${st[*]}" = "0 0 0"
	check "pipes refused (EPERM, as nobody): --explain names the refusal" \
		grep -q 'a ring of pipes was refused (Operation not permitted)' "$T/explain"
elif [ "$(id -u)" = 0 ] && [ "$soft" -gt 0 ] && [ "$soft" -le 32768 ]; then
	skip_missing setpriv "pipes refused for want of pipe pages (run as nobody)"
else
	skip "pipes refused for want of pipe pages: needs root and the default pipe-user-pages-soft"
fi

# A ring deeper than 1024 chunks (small paced chunks) keeps its bytes in memory.
check "-L 1M (4 KiB chunks, 4096 of them) takes the memory path" test "$(engine_for -L 1M)" != splice
check "--explain says why: too many pipes" grep -q 'no splice: over 1024 chunks; a pipe for each is too many' "$T/explain"
run bash -c '"$1" --engine=splice -C 4K </dev/null | cat; exit "${PIPESTATUS[0]}"' _ "$TPIPE"
expect_status 1 "--engine=splice -C 4K (4096 chunks)"
check "--engine=splice -C 4K: one line" test "$(cat "$T/err")" = \
	"tpipe: --engine=splice: over 1024 chunks; a pipe for each is too many"

# --engine=splice where it cannot be.
tp --engine=splice -o "$T/file" </dev/null
expect_status 1 "--engine=splice -o FILE"
check "--engine=splice -o FILE: one line" test "$(cat "$T/err")" = \
	"tpipe: --engine=splice: the output is not a pipe"
tp --engine=splice -F </dev/null
expect_status 2 "--engine=splice -F"
check "--engine=splice -F: says why" grep -q '^tpipe: --engine=splice: -F and -D work on the bytes in memory' "$T/err"

# --stats names the engine.
"$TPGEN" gen 100000 | with_timeout "$TMO" "$TPIPE" --stats=json 2>"$T/err" | cat >/dev/null
check "--stats=json names the splice engine" grep -q '"engine":"splice"' "$T/err"

finish
