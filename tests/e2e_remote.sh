#!/bin/bash
# -R/--remote and -Q/--query: a running tpipe's control socket (its place, its permissions, gone
# at exit), -R changing the rate, the name and the display of a transfer under way (read back
# with tests/tp-ctl, which speaks the protocol, and with -Q), -Q's line on a terminal and -n's
# numbers until the transfer ends, the errors for a PID that is not a tpipe, is dead or is not
# ours, a peer of another uid refused by SO_PEERCRED, and garbage on the socket. Every transfer
# stays byte-exact. No timing is asserted: a paced transfer only has to end within a generous
# timeout, and what -R changed is read back.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

TPCTL=$TESTDIR/tp-ctl
PTYRUN=$TESTDIR/pty-run
[ -x "$TPCTL" ] || { echo "FAIL: $TPCTL is missing (make tests/tp-ctl)"; exit 1; }
# A runtime directory of our own: the tests neither use nor leave anything in the real one.
export XDG_RUNTIME_DIR=$T/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
sock() { echo "$XDG_RUNTIME_DIR/tpipe/$1"; }
has_sock() { [ -S "$1" ]; }

"$TPGEN" gen $((2 * MiB)) >"$T/in"

# start ARGS...: tpipe ARGS reading $T/in, writing $T/xfer (stderr: $T/xerr; $T/out and $T/err
# are run's), in the background; $tp is its pid, once its socket is there.
start() {
	rm -f "$T/xfer" "$T/xerr"
	"$TPIPE" "$@" <"$T/in" >"$T/xfer" 2>"$T/xerr" &
	track $!; tp=$!
	wait_for 20 has_sock "$(sock "$tp")" || fail "tpipe $*: no control socket after 20 s"
}

# done_clean DESC: the transfer ends (status 0) byte-exact, its socket gone.
done_clean() {
	wait_exit "$tp" 60
	status_is 0 "$status" "$1: the transfer ends, status 0" "$T/xerr"
	same_file "$T/xfer" "$T/in" "$1: bytes out = bytes in"
	check "$1: the socket is removed at exit" test ! -e "$(sock "$tp")"
}

# --- the socket: where, and who may reach it ------------------------------------------------
start -q -L 1M
check "the socket's directory is 0700" test "$(stat -c %a "$XDG_RUNTIME_DIR/tpipe")" = 700
check "the socket is ours" test "$(stat -c %u "$(sock "$tp")")" = "$(id -u)"
run "$TPCTL" query "$(sock "$tp")"
check "QUERY: the bytes, the total and the limit in force" \
	grep -Eq "^bytes [0-9]+ total $((2 * MiB)) limit 1048576 named 0 name  lines 0$" "$T/out"
kill -INT "$tp"
wait_exit "$tp" 30
status_is 130 "$status" "SIGINT: the status is the signal's" "$T/xerr"
check "SIGINT: the socket is removed" test ! -e "$(sock "$tp")"

# A second SIGINT ends tpipe at once, with its output stalled: the socket goes too.
mkfifo "$T/stall"
exec 4<>"$T/stall" # a reader that never reads
rm -f "$T/xerr"
"$TPIPE" -q --drain-timeout=600 <"$T/in" >"$T/stall" 2>"$T/xerr" 4<&- &
track $!; tp=$!
wait_for 20 has_sock "$(sock "$tp")" && wait_for 20 catches "$tp" 2
for i in $(seq 40); do
	child "$tp" && alive "$tp" || break
	stop_child "$tp" INT
	sleep 0.25
done
wait_exit "$tp" 30
status_is 130 "$status" "a second SIGINT: exits at once, status 130" "$T/xerr"
check "a second SIGINT: the socket is removed" test ! -e "$(sock "$tp")"
exec 4<&-

# --- -R -L: faster mid-transfer -------------------------------------------------------------
# 2 MiB at 200K would take 10 s; at 20M, moments. On the way, 400K, read back.
start -q -L 200K
tp -R "$tp" -L 400K
expect_status 0 "-R -L 400K: status 0"
expect_stderr_empty "-R -L 400K: says nothing"
run "$TPCTL" query "$(sock "$tp")"
check "-R -L 400K: the query protocol reads back the new rate" grep -q " limit 409600 " "$T/out"
tp -R "$tp" -L 20M
expect_status 0 "-R -L 20M: status 0"
expect_stderr_empty "-R -L 20M: says nothing"
done_clean "-R -L 20M"

# From unpaced to paced and back: -R -L on a tpipe started without -L.
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
rm -f "$T/xfer" "$T/xerr"
"$TPIPE" -q <"$T/fifo" >"$T/xfer" 2>"$T/xerr" 3>&- &
track $!; tp=$!
wait_for 20 has_sock "$(sock "$tp")"
tp -R "$tp" -L 1M
expect_status 0 "-R -L 1M on an unpaced tpipe: status 0"
run "$TPCTL" query "$(sock "$tp")"
check "-R -L 1M on an unpaced tpipe: the limit is in force" grep -q " limit 1048576 " "$T/out"
head -c $((256 * 1024)) "$T/in" >&3
tp -R "$tp" -L 0
expect_status 0 "-R -L 0: unlimited again"
run "$TPCTL" query "$(sock "$tp")"
check "-R -L 0: no limit in force" grep -q " limit 0 " "$T/out"
tail -c +$((256 * 1024 + 1)) "$T/in" >&3
exec 3>&-
done_clean "unpaced, paced, unpaced"

# --- -R -N, then -Q on a terminal ----------------------------------------------------------
start -q -L 1M
tp -R "$tp" -N newname -i 0.2
expect_status 0 "-R -N newname: status 0"
run "$TPCTL" query "$(sock "$tp")"
check "-R -N newname: the query protocol reads back the name" \
	grep -q " named 1 name newname " "$T/out"
if [ -x "$PTYRUN" ] && with_timeout 10 "$PTYRUN" -o "$T/cap" -- true && [ ! -s "$T/cap" ]; then
	with_timeout 60 "$PTYRUN" -o "$T/cap" -- "$TPIPE" -Q "$tp" -i 0.2 </dev/null
	status_is 0 "$?" "-Q on a terminal: status 0 when the transfer ends" "$T/cap"
	check "-Q on a terminal: the line shows the new name" grep -q "newname:" "$T/cap"
	check "-Q on a terminal: redrawn in place" grep -q $'\r' "$T/cap"
	check "-Q on a terminal: a final newline" \
		test "$(tail -c 1 "$T/cap" | od -An -c | tr -d ' ')" = '\n'
else
	skip "-Q on a terminal: no pseudo-terminal here (pty-run -- true failed)"
	wait_exit "$tp" 60
fi
done_clean "-R -N, -Q"

# --- -Q -n: numbers, one a line ------------------------------------------------------------
start -q -L 1M
run "$TPIPE" -Q "$tp" -n -i 0.2
expect_status 0 "-Q -n: status 0 when the transfer ends"
if [ -s "$T/err" ] && ! grep -qv '^[0-9]\{1,3\}$' "$T/err"; then
	pass "-Q -n: integer percentages, one a line"
else
	_show_err
	fail "-Q -n: integer percentages, one a line"
fi
done_clean "-Q -n"

# -Q -t -b with a display letter: pv's numeric fields; -Q with letters draws pv's line.
start -q -L 1M
run "$TPIPE" -Q "$tp" -n -t -b -i 0.2
expect_status 0 "-Q -n -t -b: status 0"
if [ -s "$T/err" ] && ! grep -Eqv '^[0-9]+\.[0-9]{4} [0-9]+$' "$T/err"; then
	pass "-Q -n -t -b: SECONDS BYTES lines (pv's: the amount in place of the percentage)"
else
	_show_err
	fail "-Q -n -t -b: SECONDS BYTES lines"
fi
done_clean "-Q -n -t -b"

# The running tpipe's own line after -R: a name on a line of letters shows; letters sent to
# a -n tpipe choose its fields (pv's -n -t), never a line of them.
start -f -tb -i 0.1 -L 1M
tp -R "$tp" -N late
expect_status 0 "-R -N on a line of letters: status 0"
done_clean "-R -N on a line of letters"
check "-R -N on a line of letters: the running tpipe's line shows the name from then on" \
	bash -c 'tr "\r" "\n" <"$1" | tail -n 2 | grep -q "^ *late: "' _ "$T/xerr"
start -n -i 0.1 -L 1M
tp -R "$tp" -t
expect_status 0 "-R -t on a -n tpipe: status 0"
done_clean "-R -t on a -n tpipe"
check "-R -t on a -n tpipe: plain lines still, 'SECONDS PERCENT' from then on, ending at 100" \
	bash -c '! grep -qvE "^([0-9]+\.[0-9]{4} )?[0-9]+$" "$1" &&
		tail -n 1 "$1" | grep -qE "^[0-9.]+ 100$"' \
	_ "$T/xerr"

# --- garbage on the socket: dropped, and the transfer goes on ------------------------------
# Slow enough (20 s) to outlast the checks on a loaded machine; the -R at the end speeds it up.
start -q -L 100K
printf 'GET / HTTP/1.0\r\n\r\n' | run "$TPCTL" raw "$(sock "$tp")"
check "garbage: the connection is closed unanswered" grep -qx "closed 0" "$T/out"
{ printf 'TPct\001\003\000\000'; head -c 505 /dev/zero; } | run "$TPCTL" raw "$(sock "$tp")"
check "a message one byte too long: closed unanswered" grep -qx "closed 0" "$T/out"
printf 'TPct\001\003' | run "$TPCTL" raw "$(sock "$tp")"
check "a short message that never ends: closed unanswered" grep -qx "closed 0" "$T/out"
{ printf 'TPct\001\003\000\000'; head -c 504 /dev/zero; } | run "$TPCTL" raw "$(sock "$tp")"
check "a whole QUERY through the same tool: answered" grep -qx "closed 512" "$T/out"
tp -R "$tp" -L 20M
expect_status 0 "after garbage: -R still answered"
done_clean "garbage"

# --- a directory that is not private: no control channel, one warning, the transfer goes on --
chmod 755 "$XDG_RUNTIME_DIR/tpipe"
run "$TPIPE" -q <"$T/in"
expect_stderr_line "tpipe/?: is open to group or others.*-R and -Q cannot reach" \
	"a directory open to others: one warning line"
expect_status 0 "a directory open to others: the transfer goes on"
same_file "$T/out" "$T/in" "a directory open to others: bytes out = bytes in"
chmod 700 "$XDG_RUNTIME_DIR/tpipe"
mv "$XDG_RUNTIME_DIR/tpipe" "$XDG_RUNTIME_DIR/real"
ln -s real "$XDG_RUNTIME_DIR/tpipe"
run "$TPIPE" -q <"$T/in"
expect_stderr_line "is a symbolic link" "a symlink for the directory: one warning line"
expect_status 0 "a symlink for the directory: the transfer goes on"
same_file "$T/out" "$T/in" "a symlink for the directory: bytes out = bytes in"
rm "$XDG_RUNTIME_DIR/tpipe"
mv "$XDG_RUNTIME_DIR/real" "$XDG_RUNTIME_DIR/tpipe"

# --- PIDs that are no tpipe of ours ---------------------------------------------------------
sleep 30 &
track $!; sl=$!
tp -R "$sl" -L 1M
expect_status 1 "-R of a process that is not a tpipe: status 1"
expect_stderr_line "^tpipe: --remote: process $sl is not a running tpipe$" \
	"-R of a process that is not a tpipe: one line"
tp -Q "$sl"
expect_status 1 "-Q of a process that is not a tpipe: status 1"
expect_stderr_line "^tpipe: --query: process $sl is not a running tpipe$" \
	"-Q of a process that is not a tpipe: one line"
stop_child "$sl" KILL
wait "$sl" 2>/dev/null
_untrack "$sl"
true &
dead=$!
wait "$dead"
if [ ! -e "/proc/$dead" ]; then
	tp -R "$dead" -L 1M
	expect_status 1 "-R of a dead PID: status 1"
	expect_stderr_line "^tpipe: --remote: no process $dead$" "-R of a dead PID: one line"
else
	skip "-R of a dead PID: its PID was taken again at once"
fi

if [ "$(id -u)" != 0 ]; then
	tp -R 1 -L 1M
	expect_status 1 "-R of PID 1 (not ours): status 1"
	expect_stderr_line "^tpipe: --remote: process 1 is not yours$" "-R of PID 1: one line"
	skip "another user's tpipe and SO_PEERCRED: needs root to run a process as another user"
	finish
fi

# As root: PID 1 is ours to reach, and is no tpipe.
tp -R 1 -L 1M
expect_status 1 "-R of PID 1 as root: status 1"
expect_stderr_line "^tpipe: --remote: process 1 is not a running tpipe$" \
	"-R of PID 1 as root: one line"
if ! command -v setpriv >/dev/null; then
	skip_missing setpriv "another user's tpipe (setpriv, from util-linux)"
	finish
fi
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# Other users run copies: the build itself may be in a directory only we may enter.
for_others "$TPIPE" "$TPCTL" || { fail "cannot copy tpipe where other users can run it"; finish; }
OTPIPE=$_others_dir/$(basename "$TPIPE") OTPCTL=$_others_dir/$(basename "$TPCTL")
if ! nobody test -x "$OTPIPE" 2>/dev/null || ! nobody test -x "$OTPCTL"; then
	fail "another user's tpipe: setpriv cannot change user here"
	finish
fi
# A client of another user: refused from /proc/PID's owner, before the socket is tried.
start -q -L 1M
nobody "$OTPIPE" -R "$tp" -L 20M >/dev/null 2>"$T/err"
status_is 1 "$?" "-R of another user's tpipe: status 1" "$T/err"
expect_stderr_line "^tpipe: --remote: process $tp is not yours$" \
	"-R of another user's tpipe: one line"
tp -R "$tp" -L 20M
done_clean "another user's -R refused"

# A tpipe of another user (nobody): root may reach it; a peer of a third uid that can reach the
# socket (CAP_DAC_OVERRIDE) is closed unanswered by SO_PEERCRED.
rm -f "$T/xfer" "$T/xerr"
(unset XDG_RUNTIME_DIR; exec setpriv --reuid=65534 --regid=65534 --clear-groups "$OTPIPE" -q -L 1M) \
	<"$T/in" >"$T/xfer" 2>"$T/xerr" &
track $!; tp=$!
nsock=/tmp/tpipe-65534/$tp
if wait_for 20 has_sock "$nsock"; then
	check "another user's socket: in /tmp/tpipe-UID, 0700, theirs" \
		test "$(stat -c '%a %u' /tmp/tpipe-65534)" = "700 65534"
	setpriv --reuid=65533 --regid=65533 --clear-groups --inh-caps=+dac_override \
		--ambient-caps=+dac_override "$OTPCTL" query "$nsock" >"$T/peer" 2>&1
	pst=$?
	if grep -q "Operation not permitted\|Permission denied" "$T/peer"; then
		skip "SO_PEERCRED: cannot give a third uid CAP_DAC_OVERRIDE here"
	else
		status_is 3 "$pst" "SO_PEERCRED: a peer of another uid is closed unanswered" \
			"$T/peer"
	fi
	tp -R "$tp" -N theirs -L 20M
	expect_status 0 "root's -R of another user's tpipe: status 0"
	wait_exit "$tp" 60
	status_is 0 "$status" "another user's tpipe: the transfer ends, status 0" "$T/xerr"
	same_file "$T/xfer" "$T/in" "another user's tpipe: bytes out = bytes in"
	check "another user's tpipe: the socket is removed" test ! -e "$nsock"
else
	fail "a tpipe run as nobody: no socket in /tmp/tpipe-65534 after 20 s"
fi

finish
