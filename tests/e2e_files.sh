#!/bin/bash
# Several inputs concatenated in order like cat; missing, unreadable and directory inputs;
# --size and --stop-at-size.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# Distinct contents so that order shows.
"$TPGEN" gen 100000 -s 1 >"$T/a"
"$TPGEN" gen $((MiB + 3)) -s 2 >"$T/b"
"$TPGEN" gen 4097 -s 3 >"$T/c"
: >"$T/empty"
"$TPGEN" gen 70001 -s 4 >"$T/stdin"
mkdir "$T/dir"
cd "$T" || exit 1

for eng in $(engines); do
	e=--engine=$eng
	tp "$e" a b c
	cat a b c >want
	expect_clean "three files in order, $e" out want

	tp "$e" -o got a b c
	expect_clean "three files in order to -o file, $e" got want

	tp "$e" a - c <stdin
	cat a stdin c >want
	expect_clean "- between two files reads stdin there, $e" out want

	"$TPGEN" gen 70001 -s 4 -r 5000 | with_timeout "$TMO" "$TPIPE" "$e" a - c >out 2>err
	status=$?
	expect_clean "- between two files, stdin a pipe, $e" out want

	tp "$e" a a
	cat a a >want
	expect_clean "same file twice, $e" out want

	tp "$e" empty a empty c empty
	cat a c >want
	expect_clean "empty files among others, $e" out want

	tp "$e" empty
	expect_clean "only an empty file, $e" out empty
done

# A missing file among several: the others are copied in order, one line, status 1.
tp a nosuch c
cat a c >want
expect_status 1 "a missing file among several"
expect_stderr_line '^tpipe: nosuch: No such file or directory$' "a missing file among several"
same_file out want "a missing file among several: the others in order"

tp nosuch a
expect_status 1 "a missing file first"
expect_stderr_line '^tpipe: nosuch: No such file or directory$' "a missing file first"
same_file out a "a missing file first: the other copied"

tp "$T/nosuch"
expect_status 1 "only a missing file"
expect_stderr_line "^tpipe: $T/nosuch: No such file or directory\$" "only a missing file (absolute path)"
expect_stdout_empty "only a missing file"

tp a dir c
expect_status 1 "a directory among the inputs"
expect_stderr_line '^tpipe: dir: Is a directory$' "a directory among the inputs"
same_file out want "a directory among the inputs: the others in order"

tp dir
expect_status 1 "a directory as the only input"
expect_stderr_line '^tpipe: dir: Is a directory$' "a directory as the only input"
expect_stdout_empty "a directory as the only input"

tp - <dir
expect_status 1 "a directory on stdin"
expect_stderr_line '^tpipe: .+: Is a directory$' "a directory on stdin"
expect_stdout_empty "a directory on stdin"

tp a nosuch dir c
expect_status 1 "a missing file and a directory among several"
if [ "$(grep -c '^tpipe: ' err)" = 2 ] && [ "$(wc -l <err)" = 2 ]; then
	pass "a missing file and a directory: one line for each"
else
	note "expected two 'tpipe: ' lines"
	_show_err
	fail "a missing file and a directory: one line for each"
fi
same_file out want "a missing file and a directory among several: the others in order"

# An unreadable file: root reads anything, so as root run tpipe as nobody (when we can).
cp a secret
chmod 000 secret
as_user=()
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$T"
	if command -v setpriv >/dev/null &&
		setpriv --reuid=65534 --regid=65534 --clear-groups "$TPIPE" --version >/dev/null 2>&1 &&
		! setpriv --reuid=65534 --regid=65534 --clear-groups cat secret >/dev/null 2>&1; then
		as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
fi
if [ "$(id -u)" = 0 ] && ! command -v setpriv >/dev/null; then
	skip_missing setpriv "an unreadable file (running as root: tpipe runs as nobody)"
elif [ "$(id -u)" = 0 ] && [ ${#as_user[@]} = 0 ]; then
	skip "unreadable file: running as root, and tpipe cannot run as nobody here"
else
	run "${as_user[@]}" "$TPIPE" a secret c
	expect_status 1 "an unreadable file among several"
	expect_stderr_line '^tpipe: secret: Permission denied$' "an unreadable file among several"
	same_file out want "an unreadable file among several: the others in order"
fi

# --- an output file shared with others ------------------------------------------------------
# Standard output that shares its open file with stderr (`> f 2>&1`) or with the rest of a
# group (`{ ...; } > f`) is written at its position, in order, as cat writes it: nothing
# anyone else wrote is overwritten, and nothing of ours.
head -c 3000000 /dev/zero | tr '\0' x >xs
for eng in $(engines); do
	e=--engine=$eng
	with_timeout "$TMO" "$TPIPE" "$e" nosuch xs >shared 2>&1
	check "> f 2>&1, a missing input, $e: the error line and every byte" \
		bash -c '[ "$(head -n 1 shared)" = "tpipe: nosuch: No such file or directory" ] &&
			[ "$(tail -n +2 shared | cmp - xs && echo same)" = same ]'
	with_timeout "$TMO" "$TPIPE" "$e" --stats=json xs >shared 2>&1
	check "> f 2>&1, --stats=json, $e: the data, then the JSON line" \
		bash -c 'head -c 3000000 shared | cmp -s - xs && tail -c +3000001 shared | grep -q "^{\"name\":.*}$"'
	with_timeout "$TMO" "$TPIPE" "$e" -n -i 10ms -L 50M xs >shared 2>&1
	check "> f 2>&1, -n lines among the data, $e: every byte and every line kept" \
		bash -c 'xs_ok() { [ "$(tr -cd x <"$1" | wc -c)" = 3000000 ]; }; xs_ok shared &&
			[ "$(tr -d x <shared | grep -cvE "^[0-9]+$")" = 0 ] &&
			[ "$(tr -d x <shared | wc -l)" -ge 1 ]'
	{ with_timeout "$TMO" "$TPIPE" "$e" xs & echo after; wait; } >shared
	check "{ tpipe & echo; } > f, $e: both in the file" \
		bash -c '[ "$(tr -cd x <shared | wc -c)" = 3000000 ] && [ "$(tr -d x <shared)" = after ]'
	{ with_timeout "$TMO" "$TPIPE" "$e" a; echo after; } >shared
	check "{ tpipe; echo; } > f, $e: the echo after the data" \
		bash -c '{ cat a; echo after; } | cmp -s - shared'
	printf 'before\n' >shared
	with_timeout "$TMO" "$TPIPE" "$e" a >>shared
	check ">> f, $e: appended" bash -c '{ echo before; cat a; } | cmp -s - shared'
done

# Unpaced and large, so that the -n lines and the data race for the file position: every x
# must survive (io_uring, which moves that position without its lock, lost 0.3 % here).
head -c 200000000 /dev/zero | tr '\0' x >xl
for eng in $(engines); do
	with_timeout "$TMO" "$TPIPE" --engine="$eng" -n -i 10ms xl >shared 2>&1
	check "> f 2>&1, -n lines among 200 MB unpaced, --engine=$eng: every byte kept" \
		bash -c '[ "$(tr -cd x <shared | wc -c)" = 200000000 ] && [ "$(tr -d x <shared | grep -cvE "^[0-9]+$")" = 0 ]'
	run "$TPIPE" --engine="$eng" --explain </dev/null
	check "--engine=$eng, stdout a file: --explain says write() and why" \
		grep -q '^tpipe: engine: write (a file inherited as standard output' "$T/err"
done
rm -f xl

# --- the output is an input ---------------------------------------------------------------------
# -o FILE is truncated only once it is known not to be an input too: cp leaves such a file
# alone, and so does tpipe (nothing is written; status 1).
for eng in auto splice uring write; do
	[ "$eng" = uring ] && ! have_uring && continue
	cp a self
	tp --engine=$eng self -o self
	expect_status 1 "tpipe f -o f, --engine=$eng"
	expect_stderr_line '^tpipe: self: input file is output file \(left as it was\)$' "tpipe f -o f, --engine=$eng"
	same_file self a "tpipe f -o f, --engine=$eng: f untouched"
done
cp a self
tp c self -o self
expect_status 1 "tpipe c f -o f"
same_file self a "tpipe c f -o f: f untouched"
ln -f self hardlink
tp hardlink -o self
expect_status 1 "tpipe LINK -o f (the same file by another name)"
same_file self a "tpipe LINK -o f: f untouched"
tp -o self <self
expect_status 1 "tpipe -o f < f"
same_file self a "tpipe -o f < f: f untouched"
# Appending, the file is not emptied: like cat, the input that is the output is skipped.
tp --append c self -o self
expect_status 1 "tpipe --append c f -o f"
expect_stderr_line '^tpipe: self: input file is output file$' "tpipe --append c f -o f"
cat a c >want
same_file self want "tpipe --append c f -o f: c appended, f not read"
with_timeout "$TMO" "$TPIPE" a self >>self 2>err
status=$?
_last_cmd="tpipe a f >> f"
expect_status 1 "tpipe a f >> f"
expect_stderr_line '^tpipe: self: input file is output file$' "tpipe a f >> f"
cat a c a >want
same_file self want "tpipe a f >> f: a appended, f not read"

# --size / --stop-at-size
tp -S -s 1000 <b
head -c 1000 b >want
expect_clean "-S -s 1000 < file: the first 1000 bytes" out want

tp --stop-at-size --size=1000 b
expect_clean "--stop-at-size --size=1000 FILE" out want

tp -S -s 64K <b
head -c 65536 b >want
expect_clean "-S -s 64K: 65536 bytes" out want

tp -S -s 1MB -C 4K -B 16K <b
head -c 1000000 b >want
expect_clean "-S -s 1MB with 4K chunks: 1000000 bytes" out want

tp -S -s 150000 a b
cat a b | head -c 150000 >want
expect_clean "-S -s stops inside the second file" out want

tp -S -s 100000 a b
expect_clean "-S -s exactly the first file's size" out a

tp -S -s 10M a
expect_clean "-S -s larger than the input: all of it" out a

tp -s 1000 a
expect_clean "-s without -S does not cut the stream" out a

"$TPGEN" gen 100000000 -r 70000 2>/dev/null | with_timeout "$TMO" "$TPIPE" -S -s 123457 2>err |
	"$TPGEN" check 123457
st=${PIPESTATUS[1]} sc=${PIPESTATUS[2]}
expect_pipeline "-S -s 123457 from an endless pipe" 0 "$st" "$sc"

tp -S -s 5000 a - <stdin
head -c 5000 a >want
expect_clean "-S -s stops before stdin is read" out want

finish
