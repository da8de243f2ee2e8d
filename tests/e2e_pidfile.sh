#!/bin/bash
# -P/--pidfile=FILE: the PID of the running tpipe and a newline in FILE while it runs, the file
# gone after every way out (the end, SIGTERM, a second SIGINT), left alone when it no longer
# holds our PID; a FILE that cannot be written is one line and status 1 before any data moves.
# The input is a FIFO we hold open, so tpipe runs exactly as long as we say, with no timing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

umask 022
"$TPGEN" gen 100000 >"$T/in"
mkfifo "$T/fifo"
PF=$T/tpipe.pid

# start ARGS...: tpipe -q -P $PF ARGS... $T/fifo -o $T/out in the background ($pid), with our
# end of the FIFO open on fd 3 (read-write, so that opening it never waits), once the pidfile
# is there and tpipe has the FIFO open (the file is written first: closing fd 3 before tpipe
# opened the FIFO would leave its open waiting for a writer for ever).
start() {
	rm -f "$PF" "$T/out"
	# Not under `timeout`: $! must be tpipe itself (wait_exit bounds every wait instead).
	"$TPIPE" -q -P "$PF" "$@" "$T/fifo" -o "$T/out" 2>"$T/err" 3>&- &
	pid=$!
	track "$pid"
	exec 3<>"$T/fifo"
	wait_for 10 test -s "$PF"
	wait_for 10 has_open "$pid" "$T/fifo"
}

# holds_pid DESC: the file holds $pid and a newline, nothing else.
holds_pid() {
	if [ "$(od -An -c "$PF" 2>/dev/null | tr -s ' ')" = "$(printf '%s\n' "$pid" | od -An -c | tr -s ' ')" ]; then
		pass "$1: the file holds the PID of the running tpipe and a newline"
	else
		note "expected '$pid\\n', got '$(cat "$PF" 2>/dev/null)'"
		fail "$1: the file holds the PID of the running tpipe and a newline"
	fi
}

# --- the normal end -------------------------------------------------------------------------
start
holds_pid "-P, running"
check "-P, running: mode 0644 (under umask 022)" [ "$(stat -c %a "$PF")" = 644 ]
cat "$T/in" >&3
exec 3>&-
wait_exit "$pid" "$TMO"
_last_cmd="tpipe -q -P FILE fifo"
expect_status 0 "-P, the input ended"
expect_stderr_empty "-P, the input ended"
check "-P, the input ended: the file is gone" [ ! -e "$PF" ]
check "-P, the input ended: the data went through" cmp -s "$T/out" "$T/in"

# The long spelling, while paced (-L) as a script would run it.
start --pidfile="$PF" -L 1M
holds_pid "--pidfile, paced"
cat "$T/in" >&3
exec 3>&-
wait_exit "$pid" "$TMO"
expect_status 0 "--pidfile, paced"
check "--pidfile, paced: the file is gone" [ ! -e "$PF" ]

# --- signals ------------------------------------------------------------------------------------
start
holds_pid "-P, before SIGTERM"
wait_for 10 catches "$pid" 15
stop_child "$pid" TERM
wait_exit "$pid" "$TMO"
exec 3>&-
expect_status 143 "-P, SIGTERM"
check "-P, SIGTERM: the file is gone" [ ! -e "$PF" ]

# A second SIGINT exits at once, from the handler: the file goes all the same. The output
# is paced slowly and the drain given a minute, so tpipe is still draining at the second.
start -L 1K --drain-timeout=60
holds_pid "-P, before two SIGINTs"
head -c 20000 "$T/in" >&3
wait_for 10 size_at_least "$T/out" 1
wait_for 10 catches "$pid" 2
stop_child "$pid" INT
# The first is taken once tpipe has stopped reading: it closes its input.
wait_for 10 eval '! has_open "$pid" "$T/fifo"'
check "-P, after the first SIGINT: still running (draining), the file still there" \
	eval 'alive "$pid" && [ -s "$PF" ]'
stop_child "$pid" INT
wait_exit "$pid" "$TMO"
exec 3>&-
expect_status 130 "-P, a second SIGINT"
check "-P, a second SIGINT: the file is gone" [ ! -e "$PF" ]

# --- someone else's PID by the end: left alone ----------------------------------------------
start
printf '1\n' >"$PF"
exec 3>&-
wait_exit "$pid" "$TMO"
expect_status 0 "-P, the file rewritten by someone else"
check "-P, the file rewritten by someone else: left as it is" [ "$(cat "$PF")" = 1 ]

# --- a FILE that cannot be written ------------------------------------------------------------
tp -P "$T/nodir/pid" -o "$T/never" "$T/in"
expect_status 1 "-P in a missing directory"
expect_stderr_line "^tpipe: $T/nodir/pid: No such file or directory\$" "-P in a missing directory"
check "-P in a missing directory: no output opened" [ ! -e "$T/never" ]

mkdir "$T/dir"
tp -P "$T/dir" "$T/in"
expect_status 1 "-P a directory"
expect_stderr_line "^tpipe: $T/dir: Is a directory\$" "-P a directory"
expect_stdout_empty "-P a directory"

tp -N job -P "$T/nodir/pid" "$T/in"
expect_stderr_line "^tpipe: job: $T/nodir/pid: No such file or directory\$" "-P with -N"

# A symbolic link is not followed (it could name someone's file), and a FIFO is not waited on.
echo theirs >"$T/victim"
ln -s "$T/victim" "$T/link.pid"
tp -q -P "$T/link.pid" </dev/null
expect_status 1 "-P through a symbolic link"
expect_stderr_line "link.pid: Too many levels of symbolic links" "-P through a symbolic link"
check "-P through a symbolic link: the file it names is untouched" test "$(cat "$T/victim")" = theirs
mkfifo "$T/fifo.pid"
tp -q -P "$T/fifo.pid" </dev/null
expect_status 1 "-P FIFO (no reader): refused at once"
finish
