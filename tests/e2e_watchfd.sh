#!/bin/bash
# -d/--watchfd: the progress of another process through its open files, from /proc. The
# process watched is a small reader (python3) that waits for a go file, then reads its files
# one after the other in 64 KiB pieces with short sleeps, holds each open a while at its end
# (so that a scan sees the final position) and closes it. Checked: -d PID:FD with -n (integer
# percentages rising to 100), -n -b (amounts, as pv, rising to the file's size), -f off a terminal
# (plain lines), under a pseudo-terminal (redrawn in place, a newline at the end), pv's
# letters, --format; -d PID picking up two files opened one after the other; two -d at once
# (a line each, named PID:FD:PATH, redrawn together with the cursor moved up); -q, -P; SIGINT;
# and the errors (a dead PID, a missing FD, a pipe, another user's process), one line and
# status 1 each.
# Nothing is timed: each watch ends when the reader is done, under a generous timeout.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

PTYRUN=$TESTDIR/pty-run
ESC=$'\033'

if ! command -v python3 >/dev/null 2>&1; then
	skip_missing python3 "--watchfd: the process watched is a python3 reader"
	finish
fi
# The interpreter itself, not a wrapper script (pyenv's shims are shell scripts that would
# open files of their own under the PID watched before they exec).
PY=$(python3 -c 'import sys; print(sys.executable)')

cat >"$T/reader.py" <<'EOF'
import os, sys, time
ready, go, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
open(ready, "w").close()
for _ in range(2000):
    if os.path.exists(go):
        break
    time.sleep(0.01)
for path in sys.argv[4:]:
    with open(path, "rb") as f:
        while f.read(65536):
            time.sleep(pause)
        time.sleep(1.0)   # at the end, still open: the watcher's scan sees the final position
    time.sleep(0.3)
EOF

A=$(pattern_file $((2 * MiB)))
B=$(pattern_file $((1 * MiB)))
cp "$A" "$T/watch-a"
cp "$B" "$T/watch-b"

# reader NAME PAUSE FILE...: starts a reader (its stdout and stderr on /dev/null, so it has no
# file open but its own); $rpid is its PID, once it has started. It reads when $T/NAME.go
# exists.
reader() {
	local name=$1 pause=$2
	shift 2
	rm -f "$T/$name.ready" "$T/$name.go"
	"$PY" "$T/reader.py" "$T/$name.ready" "$T/$name.go" "$pause" "$@" \
		</dev/null >/dev/null 2>&1 &
	track $!; rpid=$!
	wait_for 20 test -e "$T/$name.ready" || fail "reader $name did not start"
}
# go NAME: the reader starts reading; go_wait NAME FILE: and has FILE open.
go() { touch "$T/$1.go"; }
go_wait() { go "$1"; wait_for 20 has_open "$rpid" "$2" || fail "reader $1 did not open $2"; }
# watch_bg ARGS...: tpipe ARGS in the background, stderr in $T/werr; $wpid is its PID.
watch_bg() {
	"$TPIPE" "$@" </dev/null >"$T/wout" 2>"$T/werr" &
	track $!; wpid=$!
}
# rising FILE: the numbers of the lines never go down, and take at least two values.
rising() {
	awk '{ if (NR > 1 && $NF < prev) bad = 1; if (!($NF in seen)) n++
	       seen[$NF] = 1; prev = $NF }
	     END { exit bad || n < 2 }' "$1"
}
show() {
	note "stderr ($(wc -l <"$1") lines), the last 5 made visible:"
	while IFS= read -r l; do note "  | $l"; done < <(tail -n 5 "$1" | cat -v)
}
# check_shown DESC FILE CMD...: check, with FILE shown when it fails.
check_shown() {
	local desc=$1 f=$2
	shift 2
	if "$@"; then
		pass "$desc"
	else
		show "$f"
		fail "$desc"
	fi
}
only_digits() { ! grep -qv '^[0-9][0-9]*$' "$1"; }

# --- -d PID:FD --------------------------------------------------------------------------------
reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
fd=$(fd_of "$rpid" "$T/watch-a")
watch_bg -d "$rpid:$fd" -n -i 0.2
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID:FD -n: ends when the reader closes the file" "$T/werr"
check_shown "-d PID:FD -n: one integer percentage a line (pv's -n)" "$T/werr" only_digits "$T/werr"
check_shown "-d PID:FD -n: the percentages rise" "$T/werr" rising "$T/werr"
check_shown "-d PID:FD -n: the last one is 100" "$T/werr" test "$(tail -n 1 "$T/werr")" = 100
expect_stdout_empty "-d PID:FD -n"
wait_exit "$rpid" "$TMO"

reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
fd=$(fd_of "$rpid" "$T/watch-a")
watch_bg -d "$rpid:$fd" -n -b -i 0.2
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID:FD -n -b" "$T/werr"
awk '{ print $1 }' "$T/werr" >"$T/amounts"
check_shown "-d PID:FD -n -b: the amounts (the file position) rise" "$T/werr" rising "$T/amounts"
check_shown "-d PID:FD -n -b: ... to the file's size (the amount in place of the percentage)" \
	"$T/werr" test "$(tail -n 1 "$T/werr")" = "$((2 * MiB))"
wait_exit "$rpid" "$TMO"

# -f off a terminal: plain lines, tpipe's own line, no ring of ours in it.
reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
fd=$(fd_of "$rpid" "$T/watch-a")
watch_bg -d "$rpid:$fd" -f -i 0.2
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID:FD -f" "$T/werr"
check_shown "-d PID:FD -f off a terminal: plain lines, no \\r or escapes" "$T/werr" \
	eval '! grep -q "[$ESC\r]" "$T/werr" && [ "$(wc -l <"$T/werr")" -ge 2 ]'
last=$(tail -n 1 "$T/werr")
check_shown "-d PID:FD -f: the last line is the end (2.00 MiB, 100%): '$last'" "$T/werr" \
	eval '[[ $last == *"2.00 MiB"* && $last == *"100%"* && $last != *ring* ]]'
check_shown "-d PID:FD -f: a single file's line has no name (as pv's)" "$T/werr" \
	eval '! grep -q "watch-a" "$T/werr"'
wait_exit "$rpid" "$TMO"

# pv's letters, and -N naming the line.
reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
fd=$(fd_of "$rpid" "$T/watch-a")
watch_bg -d "$rpid:$fd" -f -p -b -N copy -i 0.2
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID:FD -f -p -b -N copy" "$T/werr"
last=$(tail -n 1 "$T/werr")
check_shown "-d PID:FD -p -b -N: pv's line, named: '$last'" "$T/werr" \
	eval '[[ $last == *"copy: 2.00MiB ["*"] 100%" ]]'
wait_exit "$rpid" "$TMO"

# --format, with -d PID: the name is the file's.
reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
watch_bg -d "$rpid" -f --format '<%N|%b|%{progress-amount-only}>' -w 300 -i 0.2
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID --format" "$T/werr"
last=$(tail -n 1 "$T/werr")
check_shown "-d PID --format: the format, the file's name in %N: '$last'" "$T/werr" \
	eval '[[ $last == "<"*"/watch-a:|2.00MiB|100%>" ]]'
wait_exit "$rpid" "$TMO"

# -q: nothing drawn; it still ends with the file.
reader one 0.01 "$T/watch-b"
go_wait one "$T/watch-b"
fd=$(fd_of "$rpid" "$T/watch-b")
watch_bg -d "$rpid:$fd" -q -i 0.2 -P "$T/wpid"
wait_for 10 test -s "$T/wpid"
check "-d PID:FD -P: the pidfile holds tpipe's PID while it watches" \
	test "$(cat "$T/wpid" 2>/dev/null)" = "$wpid"
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID:FD -q" "$T/werr"
expect_stderr_empty "-d PID:FD -q" "$T/werr"
check "-d PID:FD -P: the pidfile is removed at the end" test ! -e "$T/wpid"
wait_exit "$rpid" "$TMO"

# --- -d PID: every file, as it opens them -----------------------------------------------------
reader two 0.04 "$T/watch-a" "$T/watch-b"
watch_bg -d "$rpid" -n -w 300 -i 0.2
wait_for 10 test -e "/proc/$wpid/fd" && sleep 0.3  # watching before the first file opens
go two
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID: ends when the process does" "$T/werr"
grep '^[0-9]*:.*/watch-a: [0-9]*$' "$T/werr" | sed 's/.*: //' >"$T/pa"
grep '^[0-9]*:.*/watch-b: [0-9]*$' "$T/werr" | sed 's/.*: //' >"$T/pb"
check_shown "-d PID: every line is 'FD:PATH: PERCENT'" "$T/werr" \
	test "$(wc -l <"$T/werr")" = "$(($(wc -l <"$T/pa") + $(wc -l <"$T/pb")))"
check_shown "-d PID: the first file, picked up as opened, rising to 100" "$T/werr" \
	eval 'rising "$T/pa" && [ "$(tail -n 1 "$T/pa")" = 100 ]'
check_shown "-d PID: the second file, opened after the first was closed, rising to 100" \
	"$T/werr" eval 'rising "$T/pb" && [ "$(tail -n 1 "$T/pb")" = 100 ]'
first_b=$(grep -n 'watch-b' "$T/werr" | head -n 1 | cut -d: -f1)
last_a=$(grep -n 'watch-a' "$T/werr" | tail -n 1 | cut -d: -f1)
check_shown "-d PID: the first file's lines all come before the second's" "$T/werr" \
	test "${last_a:-0}" -lt "${first_b:-0}"
wait_exit "$rpid" "$TMO"

# --- two -d at once ---------------------------------------------------------------------------
reader r1 0.05 "$T/watch-a"
p1=$rpid
reader r2 0.05 "$T/watch-b"
p2=$rpid
go r1
go r2
wait_for 20 has_open "$p1" "$T/watch-a"
wait_for 20 has_open "$p2" "$T/watch-b"
watch_bg -d "$p1" -d "$p2" -n -w 300 -i 0.2
wait_exit "$wpid" "$TMO"
status_is 0 "$status" "-d PID1 -d PID2: ends when both processes have" "$T/werr"
check_shown "-d PID1 -d PID2: PID1's file, named PID:FD:PATH, to 100" "$T/werr" \
	test "$(grep "^$p1:[0-9]*:.*/watch-a: " "$T/werr" | tail -n 1 | sed 's/.*: //')" = 100
check_shown "-d PID1 -d PID2: PID2's file, named PID:FD:PATH, to 100" "$T/werr" \
	test "$(grep "^$p2:[0-9]*:.*/watch-b: " "$T/werr" | tail -n 1 | sed 's/.*: //')" = 100
wait_exit "$p1" "$TMO"
wait_exit "$p2" "$TMO"

# --- errors: one line, status 1 ---------------------------------------------------------------
reader one 0.05 "$T/watch-a"
tp -d "$rpid:57"
expect_status 1 "-d PID:FD of a FD not open"
expect_stderr_line "^tpipe: --watchfd: $rpid:57: no such file descriptor$" \
	"-d PID:FD of a FD not open"
tp -d "$rpid:0"
expect_status 1 "-d PID:0, /dev/null"
expect_stderr_line "^tpipe: --watchfd: $rpid:0: /dev/null: not a regular file or block device$" \
	"-d PID:FD of /dev/null"
go one
wait_exit "$rpid" "$TMO"
tp -d "$rpid"
expect_status 1 "-d PID of a process that has ended"
expect_stderr_line "^tpipe: --watchfd: no process $rpid$" "-d PID of a process that has ended"
tp -d "$rpid:3"
expect_status 1 "-d PID:FD of a process that has ended"
expect_stderr_line "^tpipe: --watchfd: no process $rpid$" "-d PID:FD of a process that has ended"

# A pipe: no size and no position to show. cat reads one from us (fd 5) until we close it.
exec 5> >(exec cat >/dev/null)
cat_pid=$!
if wait_for 10 eval '[[ $(readlink "/proc/$cat_pid/fd/0" 2>/dev/null) == pipe:* ]]'; then
	tp -d "$cat_pid:0"
	expect_status 1 "-d PID:FD of a pipe"
	re="^tpipe: --watchfd: $cat_pid:0: pipe:\[[0-9]+\]: not a regular file or block device$"
	expect_stderr_line "$re" "-d PID:FD of a pipe"
else
	fail "-d PID:FD of a pipe: cat (PID $cat_pid) has no pipe on fd 0"
fi
exec 5>&-
wait_for 10 eval '! alive "$cat_pid"'

# Another user's process: as root, the process runs as nobody and tpipe as yet another user;
# otherwise a process of root's (PID 1) is not ours.
other= as_watcher=()
if [ "$(id -u)" = 0 ]; then
	if ! command -v setpriv >/dev/null; then
		skip_missing setpriv "another user's process (as root: the two run as others)"
	elif ! for_others "$TPIPE" || ! setpriv --reuid=65533 --regid=65533 --clear-groups \
		"$_others_dir/$(basename "$TPIPE")" --version >/dev/null 2>&1; then
		fail "another user's process: running as root, and tpipe cannot run as another user"
	else
		OTPIPE=$_others_dir/$(basename "$TPIPE") # the build may be where only we may go
		setpriv --reuid=65534 --regid=65534 --clear-groups sleep 30 \
			</dev/null >/dev/null 2>&1 &
		track $!; other=$!
		as_watcher=(setpriv --reuid=65533 --regid=65533 --clear-groups)
		wait_for 10 eval '[ "$(stat -c %u "/proc/$other" 2>/dev/null)" = 65534 ]'
	fi
elif [ "$(stat -c %u /proc/1)" != "$(id -u)" ]; then
	other=1
else
	skip "another user's process: PID 1 is ours here"
fi
if [ -n "$other" ]; then
	run "${as_watcher[@]}" "${OTPIPE:-$TPIPE}" -d "$other"
	expect_status 1 "-d PID of another user's process"
	expect_stderr_line "^tpipe: --watchfd: $other: permission denied$" \
		"-d PID of another user's process"
	run "${as_watcher[@]}" "${OTPIPE:-$TPIPE}" -d "$other:0"
	expect_status 1 "-d PID:FD of another user's process"
	expect_stderr_line "^tpipe: --watchfd: $other:0: permission denied$" \
		"-d PID:FD of another user's process"
	if [ "$other" != 1 ]; then
		stop_child "$other" KILL
		wait "$other" 2>/dev/null
		_untrack "$other"
	fi
fi

# --- SIGINT ends it ---------------------------------------------------------------------------
reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
watch_bg -d "$rpid" -f -i 0.2
wait_for 10 lines_at_least "$T/werr" 1
kill -INT "$wpid"
wait_exit "$wpid" "$TMO"
status_is 130 "$status" "-d PID, SIGINT: ends at once, as a transfer does" "$T/werr"
check_shown "-d PID, SIGINT: a last line, ended with a newline" "$T/werr" \
	eval '[ "$(tail -c 1 "$T/werr" | od -An -c | tr -d " ")" = "\\n" ] &&
	      grep -q watch-a "$T/werr"'
stop_child "$rpid" KILL
wait "$rpid" 2>/dev/null
_untrack "$rpid"

# --- under a pseudo-terminal ------------------------------------------------------------------
if [ ! -x "$PTYRUN" ]; then
	skip_missing "$PTYRUN" "--watchfd under a terminal"
	finish
fi
if ! with_timeout 10 "$PTYRUN" -o "$T/cap" -- true || [ -s "$T/cap" ]; then
	skip "--watchfd under a terminal: no pseudo-terminal here (pty-run -- true failed)"
	finish
fi
segments() { tr '\r' '\n' <"$1" | sed "s/${ESC}\[K//g; s/${ESC}\[[0-9]*A//g" | grep -av '^$'; }
ends_with_nl() { [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }

reader one 0.05 "$T/watch-a"
go_wait one "$T/watch-a"
fd=$(fd_of "$rpid" "$T/watch-a")
with_timeout "$TMO" "$PTYRUN" -o "$T/cap" -- "$TPIPE" -d "$rpid:$fd" -i 0.2 </dev/null
status_is 0 "$?" "terminal: -d PID:FD" "$T/cap"
check_shown "terminal: -d PID:FD redrawn in place (\\r ... ESC[K), on one line" "$T/cap" \
	eval '[ "$(tr -cd "\r" <"$T/cap" | wc -c)" -ge 2 ] && ! grep -q "${ESC}\[[0-9]*A" "$T/cap"'
check_shown "terminal: -d PID:FD ends with a newline" "$T/cap" ends_with_nl "$T/cap"
last=$(segments "$T/cap" | tail -n 1)
check_shown "terminal: -d PID:FD, the last update is the end: '$last'" "$T/cap" \
	eval '[[ $last == *"2.00 MiB"* && $last == *"100%"* ]]'
wait_exit "$rpid" "$TMO"

reader r1 0.05 "$T/watch-a"
p1=$rpid
reader r2 0.08 "$T/watch-b"
p2=$rpid
go r1
go r2
wait_for 20 has_open "$p1" "$T/watch-a"
wait_for 20 has_open "$p2" "$T/watch-b"
with_timeout "$TMO" "$PTYRUN" -o "$T/cap" -w 300x30 -- "$TPIPE" -d "$p1" -d "$p2" -i 0.2 </dev/null
status_is 0 "$?" "terminal: two -d" "$T/cap"
check_shown "terminal: two -d, two lines redrawn together (the cursor moved up a line)" "$T/cap" \
	grep -q "${ESC}\[1A" "$T/cap"
check_shown "terminal: two -d, each line named PID:FD:PATH" "$T/cap" \
	eval 'segments "$T/cap" | grep -q "^$p1:[0-9]*:.*watch-a:" &&
	      segments "$T/cap" | grep -q "^$p2:[0-9]*:.*watch-b:"'
check_shown "terminal: two -d, both reach 100%" "$T/cap" \
	eval 'segments "$T/cap" | grep "watch-a:" | tail -n 1 | grep -q "100%" &&
	      segments "$T/cap" | grep "watch-b:" | tail -n 1 | grep -q "100%"'
check_shown "terminal: two -d, ends with a newline" "$T/cap" ends_with_nl "$T/cap"
wait_exit "$p1" "$TMO"
wait_exit "$p2" "$TMO"

finish
