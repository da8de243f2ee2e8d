#!/bin/sh
# Files in src/ depend one way: scripts/depcheck finds no circle among the built objects.
# First it must find one: two objects that call each other.
set -u
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
echo 'int b(void); int a(void) { return b(); }' >"$d/a.c"
echo 'int a(void); int b(void) { return 1; } int c(void) { return a(); }' >"$d/b.c"
${CC:-cc} -c -o "$d/libtpipe_a-a.o" "$d/a.c" && ${CC:-cc} -c -o "$d/libtpipe_a-b.o" "$d/b.c" || exit 1
"$SRCDIR/scripts/depcheck" "$d" 2>"$d/err"
rc=$?
if [ "$rc" != 1 ] || ! grep -q 'a -> b\|b -> a' "$d/err"; then
	echo "FAIL: depcheck did not find the circle a <-> b (exit $rc)"
	cat "$d/err"
	exit 1
fi
exec "$SRCDIR/scripts/depcheck" "$TESTDIR/../src"
