#!/bin/sh
# Files in src/ depend one way and its folders are layers (TP_LAYERS, from Makefile.am):
# scripts/depcheck on the built objects. First it must catch a circle and a layer used from
# below, in objects made here.
set -u
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
cc=${CC:-cc}
fail() { echo "FAIL: $1"; cat "$d/err"; exit 1; }

mkdir "$d/circle" "$d/layers" "$d/layers/low" "$d/layers/high"
echo 'int b(void); int a(void) { return b(); }' >"$d/a.c"
echo 'int a(void); int b(void) { return 1; } int c(void) { return a(); }' >"$d/b.c"
echo 'int b(void) { return 1; }' >"$d/lone.c"
$cc -c -o "$d/circle/libtpipe_a-a.o" "$d/a.c" && $cc -c -o "$d/circle/libtpipe_a-b.o" "$d/b.c" &&
	$cc -c -o "$d/layers/low/libtpipe_a-a.o" "$d/a.c" &&
	$cc -c -o "$d/layers/high/libtpipe_a-b.o" "$d/lone.c" || exit 1

"$SRCDIR/scripts/depcheck" "$d/circle" 2>"$d/err"
[ $? = 1 ] && grep -q 'a -> b\|b -> a' "$d/err" || fail "depcheck did not find the circle a <-> b"
"$SRCDIR/scripts/depcheck" --layers "low high" "$d/layers" 2>"$d/err"
[ $? = 1 ] && grep -q 'low -> high' "$d/err" || fail "depcheck let low use high"
"$SRCDIR/scripts/depcheck" --layers "high low" "$d/layers" >/dev/null 2>"$d/err" ||
	fail "depcheck refused high used from low above it"

exec "$SRCDIR/scripts/depcheck" --layers "$TP_LAYERS" "$TESTDIR/../src" "$SRCDIR/src"
