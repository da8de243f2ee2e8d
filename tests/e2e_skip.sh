#!/bin/bash
# -E/--skip-errors: a read error in a file is skipped, the output gets zeros in its place (as
# long as the input, the good bytes intact), each skip said with its offset and length, the
# skip growing while the errors go on; -EE says one and a count; a pipe cannot be skipped;
# without -E a read error ends the input as it always did. The read errors come from
# tests/eio-shim.so (LD_PRELOAD): reads of one file fail with EIO at chosen byte ranges.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

SHIM=$TESTDIR/eio-shim.so
[ -f "$SHIM" ] || { fail "$SHIM is missing (make tests/eio-shim.so)"; finish; }
# An ASan build of tpipe wants its runtime first in the library list; the shim comes before.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

IN=$T/in
"$TPGEN" gen 1000000 >"$IN"

# eio RANGES CMD...: runs CMD under the timeout with reads of $IN failing in RANGES (A-B,...),
# stdout in $T/out, stderr in $T/err, status in $status; the failed reads' offsets in $T/log.
eio() {
	local ranges=$1
	shift
	rm -f "$T/log"
	EIO_SHIM_FILE=$IN EIO_SHIM_RANGES=$ranges EIO_SHIM_LOG=$T/log LD_PRELOAD=$SHIM \
		with_timeout "$TMO" "$@" >"$T/out" 2>"$T/err"
	status=$?
	_last_cmd="EIO_SHIM_RANGES=$ranges $*"
}

# region FILE OFFSET LENGTH: LENGTH bytes of FILE from OFFSET.
region() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; }

# holed GOT FROM TO DESC: GOT is as long as $IN, zeros in [FROM, TO), $IN's bytes elsewhere.
holed() {
	local got=$1 from=$2 to=$3 desc=$4 bad=0 size
	size=$(file_size "$IN")
	if [ "$(file_size "$got")" != "$size" ]; then
		note "expected $size bytes (the input's size), got $(file_size "$got")"
		bad=1
	elif ! cmp -s <(region "$got" 0 "$from") <(region "$IN" 0 "$from"); then
		note "the $from bytes before the bad part differ from the input's"
		bad=1
	elif ! cmp -s <(region "$got" "$from" $((to - from))) <(head -c $((to - from)) /dev/zero); then
		note "bytes $from-$to are not all zeros"
		bad=1
	elif ! cmp -s <(tail -c +$((to + 1)) "$got") <(tail -c +$((to + 1)) "$IN"); then
		note "the bytes from $to on differ from the input's: $(cmp "$got" "$IN" 2>&1 | head -n 1)"
		bad=1
	fi
	_report "$bad" "$desc: as long as the input, zeros in [$from, $to), the rest intact"
}

# skips FILE: the skip lines of a stderr, as "OFFSET LENGTH" lines.
skips() {
	sed -n 's/^tpipe: .*: skipped \([0-9]*\) bytes at offset \([0-9]*\): Input\/output error$/\2 \1/p' "$1"
}

# --- one bad part inside one sector: one skip, one line -------------------------------------
# Reads come back short up to 300100, fail there, and the skip goes to 300544 (the next
# multiple of 512).
for how in "file" "-o file" "stdin" "pipe"; do
	case $how in
	file) eio 300100-300300 "$TPIPE" -E "$IN"; cp "$T/out" "$T/got" ;;
	"-o file") eio 300100-300300 "$TPIPE" -E "$IN" -o "$T/got" ;;
	stdin) eio 300100-300300 "$TPIPE" -E <"$IN"; cp "$T/out" "$T/got" ;;
	pipe) # the output a pipe: the splice path, which reads with read() under -E
		rm -f "$T/got"
		EIO_SHIM_FILE=$IN EIO_SHIM_RANGES=300100-300300 LD_PRELOAD=$SHIM \
			with_timeout "$TMO" "$TPIPE" -E "$IN" 2>"$T/err" | cat >"$T/got"
		status=${PIPESTATUS[0]}
		_last_cmd="tpipe -E in | cat" ;;
	esac
	name=$IN
	[ "$how" = stdin ] && name="standard input"
	expect_status 1 "-E, one bad sector, $how"
	expect_stderr_line "^tpipe: $name: skipped 444 bytes at offset 300100: Input/output error\$" \
		"-E, one bad sector, $how"
	holed "$T/got" 300100 300544 "-E, one bad sector, $how"
done

# --- a bad part over several sectors: the skip grows ----------------------------------------
# From 300000: 32 bytes to 300032, then blocks of 1K and 2K (to their next multiples): 300032
# to 301056, 301056 to 303104, past the end of the bad part at 303000.
eio 300000-303000 "$TPIPE" -E "$IN" -o "$T/got"
expect_status 1 "-E, a bad part of 3000 bytes"
holed "$T/got" 300000 303104 "-E, a bad part of 3000 bytes"
got=$(skips "$T/err" | tr '\n' ' ')
if [ "$got" = "300000 32 300032 1024 301056 2048 " ] && [ "$(wc -l <"$T/err")" = 3 ]; then
	pass "-E, a bad part of 3000 bytes: three skips, each landing where the next failed, growing"
else
	note "expected skips (offset length) 300000 32, 300032 1024, 301056 2048; got: $got"
	_show_err
	fail "-E, a bad part of 3000 bytes: three skips, each landing where the next failed, growing"
fi
check "-E, a bad part of 3000 bytes: one failed read per skip" \
	[ "$(tr '\n' ' ' <"$T/log")" = "300000 300032 301056 " ]

# A large bad part: the skip doubles up to 1 MiB, so few reads fail. From 1 MiB (a multiple
# of every block): 512, 512, 1K, ..., 512K, then 1M until past 4 MiB.
"$TPGEN" gen $((8 * MiB)) >"$T/big"
rm -f "$T/log"
EIO_SHIM_FILE=$T/big EIO_SHIM_RANGES=$MiB-$((4 * MiB)) EIO_SHIM_LOG=$T/log LD_PRELOAD=$SHIM \
	with_timeout "$TMO" "$TPIPE" -E "$T/big" -o "$T/got" 2>"$T/err"
status=$?
_last_cmd="tpipe -E big (bad 1M-4M)"
expect_status 1 "-E, a bad part of 3 MiB"
lens=$(skips "$T/err" | awk '{ print $2 }' | tr '\n' ' ')
want="512 512 1024 2048 4096 8192 16384 32768 65536 131072 262144 524288 1048576 1048576 "
check "-E, a bad part of 3 MiB: skips double up to 1 MiB ($lens)" [ "$lens" = "$want" ]
check "-E, a bad part of 3 MiB: one failed read per skip" [ "$(wc -l <"$T/log")" = 14 ]
IN_SAVED=$IN IN=$T/big
holed "$T/got" "$MiB" $((4 * MiB)) "-E, a bad part of 3 MiB"
IN=$IN_SAVED

# --- the error at the end of the file: never more zeros than the file had --------------------
eio 999800-1000000 "$TPIPE" -E "$IN" -o "$T/got"
expect_status 1 "-E, a bad part at the end"
holed "$T/got" 999800 1000000 "-E, a bad part at the end"
check "-E, a bad part at the end: the last skip stops at the end" \
	[ "$(skips "$T/err" | tail -n 1)" = "999936 64" ]

# --- -EE: the first skip said, and a count at the end -----------------------------------------
eio 300000-303000,600000-600100 "$TPIPE" -EE "$IN" -o "$T/got"
expect_status 1 "-EE, two bad parts"
# 3104 bytes for the first (above), 64 + 1024 for the second (600000 to 600064, to 601088).
if [ "$(wc -l <"$T/err")" = 2 ] &&
	[ "$(sed -n 1p "$T/err")" = "tpipe: $IN: skipped 32 bytes at offset 300000: Input/output error" ] &&
	[ "$(sed -n 2p "$T/err")" = "tpipe: $IN: skipped 4192 bytes in 5 places in all, zeros in their place" ]; then
	pass "-EE, two bad parts: the first skip and the count, two lines"
else
	_show_err
	fail "-EE, two bad parts: the first skip and the count, two lines"
fi
cmp -s <(region "$T/got" 600000 1088) <(head -c 1088 /dev/zero) &&
	cmp -s <(tail -c +601089 "$T/got") <(tail -c +601089 "$IN")
check "-EE, two bad parts: zeros for the second, its after intact" [ $? = 0 ]

# --- without -E: the read error ends the input, as always -----------------------------------
eio 300100-300300 "$TPIPE" "$IN" -o "$T/got"
expect_status 1 "no -E, a read error"
expect_stderr_line "^tpipe: $IN: Input/output error\$" "no -E, a read error"
check "no -E, a read error: the bytes before it, and nothing after" \
	cmp -s "$T/got" <(head -c 300100 "$IN")

# Later inputs are still read (like cat), without -E and with it.
eio 300100-300300 "$TPIPE" "$IN" "$T/big" -o "$T/got"
expect_status 1 "no -E, a read error, then another input"
check "no -E, a read error, then another input: it follows" \
	cmp -s "$T/got" <(head -c 300100 "$IN"; cat "$T/big")

# --- -E on a pipe: cannot seek, so the error ends it as without -E -------------------------------
mkfifo "$T/fifo"
EIO_SHIM_FILE=$T/fifo EIO_SHIM_RANGES=5000-6000 LD_PRELOAD=$SHIM \
	with_timeout "$TMO" "$TPIPE" -E "$T/fifo" -o "$T/got" 2>"$T/err" &
pid=$!
track "$pid"
with_timeout "$TMO" cat "$IN" >"$T/fifo" 2>/dev/null
wait_exit "$pid" "$TMO"
_last_cmd="tpipe -E fifo"
expect_status 1 "-E, a read error on a pipe"
expect_stderr_line "^tpipe: $T/fifo: Input/output error\$" "-E, a read error on a pipe"
check "-E, a read error on a pipe: the bytes before it" cmp -s "$T/got" <(head -c 5000 "$IN")

# --- -E changes nothing else --------------------------------------------------------------------
tp -E "$IN" -o "$T/got"
expect_clean "-E, no error, -o file" "$T/got" "$IN"
with_timeout "$TMO" "$TPIPE" -E "$T/big" 2>"$T/err" | cat >"$T/got"
status=${PIPESTATUS[0]}
expect_clean "-E, no error, output a pipe" "$T/got" "$T/big"

# -F and -D: the zeros are framed like any bytes; the receiver gets what -E read.
eio 300000-303000 "$TPIPE" -E "$IN" -o "$T/want"
EIO_SHIM_FILE=$IN EIO_SHIM_RANGES=300000-303000 LD_PRELOAD=$SHIM \
	with_timeout "$TMO" "$TPIPE" -E -F "$IN" 2>"$T/err" | with_timeout "$TMO" "$TPIPE" -D -o "$T/got"
st=("${PIPESTATUS[@]}")
status_is 1 "${st[0]}" "-E -F, a bad part" "$T/err"
status_is 0 "${st[1]}" "-D after -E -F"
check "-E -F | -D: what -E read" cmp -s "$T/got" "$T/want"

finish
