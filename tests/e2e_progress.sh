#!/bin/bash
# Progress on standard error: off when stderr is not a terminal (unless -p), one line redrawn in
# place ("\r" ... ESC[K) with bytes, rates, and bar / percentage / ETA when the total is known;
# -N NAME prefix; -q (no progress line, SIGUSR1 still answered); -n plain numeric lines. Under a
# pseudo-terminal (tests/pty-run): on by default, it leaves the terminal clean (a final newline)
# on every exit path (normal end, an input error, SIGINT, a second SIGINT with the output
# stalled), keeps redrawing while the output is blocked, and a background tpipe is never
# stopped by TOSTOP. Transfers are paced to last 0.5-1 s so that -i 0.1 draws several times;
# counts of redraws are asserted at a third or less of the nominal number.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

PTYRUN=$TESTDIR/pty-run
ESC=$'\033'
CR=$'\r'

F3=$(pattern_file $((3 * MiB)))  # 1 s at -L 3M
F2=$(pattern_file $((2 * MiB)))
BIG=$(pattern_file $((8 * MiB)))

count_cr() { tr -cd '\r' <"$1" | wc -c; }
count_nl() { tr -cd '\n' <"$1" | wc -c; }
cr_at_least() { [ -f "$1" ] && [ "$(count_cr "$1")" -ge "$2" ]; }
ends_with_nl() { [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; }
# segments FILE: the pieces between "\r" and "\n", ESC[K removed, empty ones dropped.
segments() { tr '\r' '\n' <"$1" | sed "s/${ESC}\[K//g" | grep -av '^$'; }
last_segment() { segments "$1" | tail -n 1; }
# show FILE: the end of a capture, made visible, under the next "not ok".
show() {
	note "captured ($(wc -c <"$1") bytes), last 300 made visible:"
	note "  $(tail -c 300 "$1" | cat -v | tr '\n' '|')"
}

# progress_ok DESC FILE MIN_REDRAWS: a progress line redrawn at least MIN_REDRAWS times, left
# with a newline, and only ever "\r", the line and ESC[K (no other escape sequence).
progress_ok() {
	local desc=$1 f=$2 min=$3 n esc erase
	n=$(count_cr "$f")
	if [ "$n" -ge "$min" ]; then
		pass "$desc: progress redrawn with \\r ($n times, wanted >= $min)"
	else
		show "$f"
		fail "$desc: progress redrawn with \\r ($n times, wanted >= $min)"
	fi
	if ends_with_nl "$f"; then
		pass "$desc: ends with a newline (the terminal is left on a fresh line)"
	else
		show "$f"
		fail "$desc: ends with a newline (the terminal is left on a fresh line)"
	fi
	esc=$(tr -cd '\033' <"$f" | wc -c)
	erase=$(grep -ao "${ESC}\[K" "$f" | wc -l)
	if [ "$esc" -ge 1 ] && [ "$esc" = "$erase" ]; then
		pass "$desc: each redraw erases the rest of the line (ESC[K), no other escapes"
	else
		note "$esc ESC characters, $erase of them in ESC[K"
		show "$f"
		fail "$desc: each redraw erases the rest of the line (ESC[K), no other escapes"
	fi
}

# messages_at_line_start DESC FILE: every "tpipe:" message begins a line (after "\n" or at the
# very start), never after a progress line on the same line.
messages_at_line_start() {
	local desc=$1 f=$2 bad
	bad=$(grep -a 'tpipe:' "$f" | grep -avc '^tpipe:')
	if [ "$(grep -ac 'tpipe:' "$f")" -ge 1 ] && [ "$bad" = 0 ]; then
		pass "$desc: messages start on a line of their own"
	else
		note "$bad line(s) with 'tpipe:' after something else, or no message at all"
		show "$f"
		fail "$desc: messages start on a line of their own"
	fi
}

# numeric_ok DESC FILE FIELDS MIN_LINES LAST_BYTES: -n --format "$NUMFMT" output (tpipe
# 0.1's -n line): every line is "secs bytes rate[ pct]" with FIELDS fields, at least MIN_LINES of them, seconds and bytes
# never decreasing and no line repeating the one before (the final line may share the last
# tick's millisecond only with a new byte count), the last line at LAST_BYTES (and 100 %
# with 4 fields).
numeric_ok() {
	local desc=$1 f=$2 fields=$3 min=$4 last=$5 why
	why=$(awk -v fields="$fields" -v min="$min" -v last="$last" '
		!/^[0-9]+\.[0-9][0-9][0-9][0-9] [0-9]+ [0-9]+( [0-9]+)?$/ { print "line " NR " is not numeric: " $0; bad = 1; exit }
		NF != fields { print "line " NR " has " NF " fields, wanted " fields ": " $0; bad = 1; exit }
		NR > 1 && $1 + 0 < t + 0 { print "seconds went back at line " NR; bad = 1; exit }
		NR > 1 && $1 + 0 == t + 0 && $2 + 0 == b + 0 { print "line " NR " repeats the one before"; bad = 1; exit }
		NR > 1 && $2 + 0 < b + 0 { print "bytes went down at line " NR; bad = 1; exit }
		{ t = $1; b = $2; p = $4 }
		END {
			if (bad) exit 1
			if (NR < min) { print NR " lines, wanted at least " min; exit 1 }
			if (b != last) { print "last line at " b " bytes, wanted " last; exit 1 }
			if (fields == 4 && p != "100") { print "last percentage " p ", wanted 100"; exit 1 }
		}' "$f")
	if [ $? = 0 ] && ! grep -q "[$ESC$CR]" "$f"; then
		pass "$desc: $(wc -l <"$f") plain lines 'secs bytes rate$([ "$fields" = 4 ] && echo ' pct')', rising"
	else
		[ -n "$why" ] && note "$why"
		grep -q "[$ESC$CR]" "$f" && note "escape or carriage-return characters in the output"
		show "$f"
		fail "$desc: plain numeric lines"
	fi
}

# --- stderr not a terminal, no -p: nothing at all --------------------------------------------
"$TPGEN" gen 3000000 | with_timeout "$TMO" "$TPIPE" -i 0.1 -L 6MB 2>"$T/err" |
	"$TPGEN" check 3000000
st=("${PIPESTATUS[@]}")
expect_pipeline "no terminal, no -f (-i 0.1 -L 6MB, a pipe)" "${st[@]}"
tp -i 0.1 -L 6MB -o "$T/out.f" "$F3" </dev/null
expect_clean "no terminal, no -f (-i 0.1 -L 6MB, a file: size known)" "$T/out.f" "$F3"

# --- -p: one line redrawn in place ---------------------------------------------------------
"$TPGEN" gen $((3 * MiB)) | with_timeout "$TMO" "$TPIPE" -f -i 0.1 -L 3M 2>"$T/err" |
	"$TPGEN" check $((3 * MiB))
st=("${PIPESTATUS[@]}")
if [ "${st[1]}" = 0 ] && [ "${st[2]}" = 0 ]; then
	pass "-f -i 0.1 -L 3M, 3 MiB from a pipe: exit 0, byte-exact"
else
	note "statuses (gen tpipe check): ${st[*]}"
	fail "-f -i 0.1 -L 3M, 3 MiB from a pipe: exit 0, byte-exact"
fi
progress_ok "-p, size unknown" "$T/err" 4
check "-p: one line in all (redrawn with \\r, one newline at the end)" test "$(count_nl "$T/err")" = 1
last=$(last_segment "$T/err")
if [[ $last == *"3.00 MiB"* && $last == *"/s]"* ]]; then
	pass "-p: the last update shows the byte count (3.00 MiB) and a rate"
else
	note "last update: '$last'"
	fail "-p: the last update shows the byte count (3.00 MiB) and a rate"
fi
if ! grep -aq 'ETA' "$T/err" && ! grep -aq '\[=' "$T/err"; then
	pass "-p, size unknown: no ETA, no bar"
else
	show "$T/err"
	fail "-p, size unknown: no ETA, no bar"
fi

# -s SIZE: percentage, ETA and bar.
"$TPGEN" gen $((3 * MiB)) | with_timeout "$TMO" "$TPIPE" -f -i 0.1 -L 3M -s 3M 2>"$T/err" |
	"$TPGEN" check $((3 * MiB))
st=("${PIPESTATUS[@]}")
check "-f -s 3M: exit 0, byte-exact" test "${st[1]}${st[2]}" = 00
progress_ok "-f -s 3M" "$T/err" 4
pcts=$(grep -aoE '[0-9]+% ETA' "$T/err" | tr -dc '0-9\n')
first=$(echo "$pcts" | head -n 1)
lastp=$(echo "$pcts" | tail -n 1)
if [ "$(echo "$pcts" | wc -l)" -ge 4 ] && [ "${first:-100}" -lt 100 ] && [ "$lastp" = 100 ] &&
	[ "$(echo "$pcts" | sort -n)" = "$pcts" ]; then
	pass "-f -s 3M: a percentage before the ETA, rising to 100 %"
else
	note "percentages seen: ${pcts//$'\n'/ }"
	show "$T/err"
	fail "-f -s 3M: a percentage before the ETA, rising to 100 %"
fi
last=$(last_segment "$T/err")
if [[ $last =~ \[=+\] && $last == *"100% ETA 0:00:00"* ]] && grep -aqE 'ETA [0-9]+:[0-9]{2}:[0-9]{2}' "$T/err" &&
	grep -aqE '\[=*>? +\]' "$T/err"; then
	pass "-f -s 3M: a bar [=> ] filling up, full at the end, with 'ETA H:MM:SS'"
else
	note "last update: '$last'"
	fail "-f -s 3M: a bar [=> ] filling up, full at the end, with 'ETA H:MM:SS'"
fi

# The total from the input file's size.
tp -f -i 0.1 -L 6M -o "$T/out.f" "$F3" </dev/null
check "-f, input a file: exit 0, byte-exact" test "$status" = 0 -a "$(cmp "$T/out.f" "$F3" 2>&1)" = ""
last=$(last_segment "$T/err")
check "-f, input a file: the size is known, the last update says 100% ($last)" \
	eval '[[ $last == *"100% ETA 0:00:00"* ]]'

# -N NAME: every update starts with it, and messages carry it too.
tp -f -N xfer -i 0.1 -L 6M -o "$T/out.f" "$F3" </dev/null
check "-f -N xfer: exit 0" test "$status" = 0
progress_ok "-f -N xfer" "$T/err" 2
if [ "$(segments "$T/err" | grep -avc '^xfer: ')" = 0 ]; then
	pass "-f -N xfer: every update starts with 'xfer: '"
else
	show "$T/err"
	fail "-f -N xfer: every update starts with 'xfer: '"
fi
tp -N xfer "$T/missing" </dev/null
expect_status 1 "-N xfer MISSING"
expect_stderr_line '^tpipe: xfer: .*missing: No such file' "-N xfer MISSING"

# -f with --stats: the progress line is ended before the statistics start.
tp -f -i 0.1 -L 6M --stats -o "$T/out.f" "$F3" </dev/null
check "-f --stats: exit 0" test "$status" = 0
messages_at_line_start "-f --stats" "$T/err"
check "-f --stats: the statistics follow the progress line" grep -aq '^tpipe: bottleneck: ' "$T/err"

# --- -q: no progress line; SIGUSR1 still prints its status line ------------------------------
rm -f "$T/err"
"$TPIPE" -q -i 0.1 -L 3M "$F3" >"$T/out.f" 2>"$T/err" </dev/null &
track $!; tpid=$!
wait_for 20 catches "$tpid" 10
wait_for 20 size_at_least "$T/out.f" 300000
kill -USR1 "$tpid"
check "-q: SIGUSR1 prints a status line" wait_for 10 lines_at_least "$T/err" 1
wait_exit "$tpid" 30
status_is 0 "$status" "-q with SIGUSR1: carries on to the end" "$T/err"
same_file "$T/out.f" "$F3" "-q with SIGUSR1"
if [ "$(wc -l <"$T/err")" = 1 ] && grep -aqE '^tpipe: .*\([0-9]+ bytes\)' "$T/err" &&
	[ "$(count_cr "$T/err")" = 0 ]; then
	pass "-q: the status line and nothing else (no progress)"
else
	_show_err
	fail "-q: the status line and nothing else (no progress)"
fi

# --- -n --format: one plain line per interval ----------------------------------------------
NUMFMT="%t %b %r %{progress-amount-only}"
tp -n --format "$NUMFMT" -i 0.1 -L 3M -o "$T/out.f" "$F3" </dev/null
check "-n, input a file: exit 0, byte-exact" test "$status" = 0 -a "$(cmp "$T/out.f" "$F3" 2>&1)" = ""
numeric_ok "-n -i 0.1, input a 3 MiB file (size known)" "$T/err" 4 5 $((3 * MiB))
"$TPGEN" gen 3000000 | with_timeout "$TMO" "$TPIPE" -n --format "$NUMFMT" -i 0.1 -L 6MB 2>"$T/err" | "$TPGEN" check 3000000
st=("${PIPESTATUS[@]}")
check "-n from a pipe: exit 0, byte-exact" test "${st[1]}${st[2]}" = 00
numeric_ok "-n -i 0.1 from a pipe (size unknown)" "$T/err" 3 3 3000000
"$TPGEN" gen 3000000 | with_timeout "$TMO" "$TPIPE" -n --format "$NUMFMT" -i 0.1 -L 6MB -s 3000000 2>"$T/err" | "$TPGEN" check 3000000
st=("${PIPESTATUS[@]}")
check "-n -s from a pipe: exit 0, byte-exact" test "${st[1]}${st[2]}" = 00
numeric_ok "-n -i 0.1 -s 3000000 from a pipe" "$T/err" 4 3 3000000

# --- under a pseudo-terminal -----------------------------------------------------------------
if [ ! -x "$PTYRUN" ]; then
	skip_missing "$PTYRUN" "progress under a terminal"
	finish
fi
if ! with_timeout 10 "$PTYRUN" -o "$T/cap" -- true || [ -s "$T/cap" ]; then
	skip "progress under a terminal: no pseudo-terminal here (pty-run -- true failed)"
	finish
fi

# pty ARGS...: pty-run -o $T/cap ARGS in the background; $pr is its pid (its status is the
# command's).
pty() {
	rm -f "$T/cap" "$T/pid"
	"$PTYRUN" -o "$T/cap" "$@" </dev/null 3>&- 4<&- &
	track $!; pr=$!
}
# pid-exec PIDFILE CMD...: CMD with its pid in PIDFILE. pid-exec-fifo PIDFILE FIFO CMD...: the
# same with standard output into FIFO, which CMD also holds open for reading on fd 4 (so that
# opening it does not wait for a reader, and the output just stalls when the pipe is full).
printf '%s\n' 'echo $$ >"$1"; shift; exec "$@"' >"$T/pid-exec"
printf '%s\n' 'p=$1 f=$2; shift 2; echo $$ >"$p"; exec 4<>"$f"; exec "$@" >"$f"' >"$T/pid-exec-fifo"
mkfifo "$T/fifo"
tpipe_pid() { wait_for 10 test -s "$T/pid" && tpid=$(cat "$T/pid"); }

# Plain: on by default, redrawn in place, width respected, cleaned up.
pty -- "$TPIPE" -i 0.1 -L 3M -o "$T/out.f" "$F3"
wait_exit "$pr" 30
status_is 0 "$status" "terminal: tpipe -i 0.1 -L 3M FILE" "$T/cap"
same_file "$T/out.f" "$F3" "terminal: tpipe -i 0.1 -L 3M FILE"
progress_ok "terminal, no -f" "$T/cap" 4
check "terminal: a single line in all (one newline)" test "$(count_nl "$T/cap")" = 1
last=$(last_segment "$T/cap")
check "terminal: the last update is the final one (100%, 3.00 MiB): '$last'" \
	eval '[[ $last == *"3.00 MiB"* && $last == *"100%"* ]]'
long=$(segments "$T/cap" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
check "terminal 100 columns: no update reaches the last column (longest $long)" test "$long" -le 99 -a "$long" -ge 40

pty -w 40x10 -- "$TPIPE" -i 0.1 -L 6M -o "$T/out.f" "$F3"
wait_exit "$pr" 30
status_is 0 "$status" "terminal 40 columns" "$T/cap"
long=$(segments "$T/cap" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
last=$(last_segment "$T/cap")
check "terminal 40 columns: updates fit in 39 (longest $long) and keep the byte count: '$last'" \
	eval '[ "$long" -le 39 ] && [[ $last == *"3.00 MiB"* ]]'

# -q: nothing on the terminal.
pty -- "$TPIPE" -q -i 0.1 -L 6M -o "$T/out.f" "$F3"
wait_exit "$pr" 30
status_is 0 "$status" "terminal -q" "$T/cap"
if [ ! -s "$T/cap" ]; then
	pass "terminal -q: nothing written to the terminal"
else
	show "$T/cap"
	fail "terminal -q: nothing written to the terminal"
fi

# -n: pv's plain lines even on a terminal: one integer percentage each, rising to 100.
pty -- "$TPIPE" -n -i 0.1 -L 6M -o "$T/out.f" "$F3"
wait_exit "$pr" 30
status_is 0 "$status" "terminal -n" "$T/cap"
if awk '!/^[0-9]+$/ || $1 + 0 < p + 0 { bad = 1 } { p = $1 } END { exit bad || p != 100 || NR < 2 }' \
	"$T/cap"; then
	pass "terminal -n: $(wc -l <"$T/cap") lines of one integer percentage, rising to 100"
else
	show "$T/cap"
	fail "terminal -n: lines of one integer percentage, rising to 100"
fi

# An input error in the middle: the message starts on its own line, progress goes on after.
# -B 1M holds the reader back on the first 2 MiB file so the line is on screen by then.
pty -- "$TPIPE" -i 0.1 -L 3M -B 1M -o "$T/out.f" "$F2" "$T/missing" "$F2"
wait_exit "$pr" 30
status_is 1 "$status" "terminal: FILE MISSING FILE" "$T/cap"
cat "$F2" "$F2" >"$T/want"
same_file "$T/out.f" "$T/want" "terminal: FILE MISSING FILE (the other two files)"
before=$(sed -n '/tpipe:/q;p' "$T/cap" | tr -cd '\r' | wc -c)
check "terminal: progress was on screen before the error ($before redraws)" test "$before" -ge 1
messages_at_line_start "terminal: the error among progress" "$T/cap"
check "terminal: the error names the file" grep -aq "^tpipe: $T/missing: No such file" "$T/cap"
progress_ok "terminal: FILE MISSING FILE" "$T/cap" 4

# SIGUSR1 while the line is on screen: the status line starts a line of its own.
pty -- bash "$T/pid-exec" "$T/pid" "$TPIPE" -i 0.1 -L 3M -o "$T/out.f" "$F3"
tpipe_pid && wait_for 10 cr_at_least "$T/cap" 2 && kill -USR1 "$tpid"
wait_exit "$pr" 30
status_is 0 "$status" "terminal: SIGUSR1" "$T/cap"
same_file "$T/out.f" "$F3" "terminal: SIGUSR1"
messages_at_line_start "terminal: SIGUSR1's status line" "$T/cap"
progress_ok "terminal: SIGUSR1" "$T/cap" 4

# SIGINT: stop reading, write out the (small) buffer, 130, line ended.
pty -- bash "$T/pid-exec" "$T/pid" "$TPIPE" -i 0.1 -L 1M -B 256K -o "$T/out.f" "$BIG"
tpipe_pid && wait_for 10 cr_at_least "$T/cap" 2 && kill -INT "$tpid"
wait_exit "$pr" 30
status_is 130 "$status" "terminal: SIGINT" "$T/cap"
n=$("$TPGEN" check $((8 * MiB)) -P <"$T/out.f")
check "terminal: SIGINT: the output is a correct prefix (${n:-?} bytes)" test -n "$n" -a "${n:-0}" -gt 0
progress_ok "terminal: SIGINT" "$T/cap" 2

# The reader of the output goes away (141): the line is ended before the shell goes on.
printf '%s\n' '"$@" | head -c 1000000 >/dev/null; echo "status=${PIPESTATUS[0]}"' >"$T/into-head"
pty -- bash "$T/into-head" "$TPIPE" -i 0.1 -L 3M "$BIG"
wait_exit "$pr" 30
check "terminal: tpipe | head -c 1000000: exit 141, the shell's next line starts a line" \
	grep -aq '^status=141$' "$T/cap"
progress_ok "terminal: tpipe | head" "$T/cap" 2

# An output error (-o /dev/full): the message on a line of its own, the line ended.
pty -- "$TPIPE" -i 0.1 -L 3M -B 256K -o /dev/full "$BIG"
wait_exit "$pr" 30
status_is 1 "$status" "terminal: -o /dev/full" "$T/cap"
messages_at_line_start "terminal: -o /dev/full" "$T/cap"
check "terminal: -o /dev/full: the error says so" grep -aq '^tpipe: /dev/full: No space left' "$T/cap"
check "terminal: -o /dev/full: ends with a newline" ends_with_nl "$T/cap"

# A second SIGINT with the output stalled: exit at once, still leaving the line ended.
pty -- bash "$T/pid-exec-fifo" "$T/pid" "$T/fifo" "$TPIPE" -i 0.1 -B 1M "$BIG"
tpipe_pid && wait_for 10 cr_at_least "$T/cap" 2 && kill -INT "$tpid"
sleep 0.5
check "terminal: first SIGINT with the output stalled: tpipe waits to drain" alive "$tpid"
kill -INT "$tpid"
wait_exit "$pr" 10
status_is 130 "$status" "terminal: second SIGINT, output stalled" "$T/cap"
progress_ok "terminal: second SIGINT, output stalled" "$T/cap" 2

# The display keeps moving while the output is blocked: nobody reads for 1.5 s (nominally 15
# redraws at -i 0.1), then a reader takes everything.
pty -- bash "$T/pid-exec-fifo" "$T/pid" "$T/fifo" "$TPIPE" -f -i 0.1 -B 1M "$BIG"
if tpipe_pid && wait_for 10 cr_at_least "$T/cap" 1 &&
	wait_for 10 eval '[ "$(file_pos "$tpid" "$BIG")" -ge "$MiB" ]'; then
	c0=$(count_cr "$T/cap")
	sleep 1.5
	c1=$(count_cr "$T/cap")
	check "terminal: output blocked 1.5 s: progress still redrawn ($((c1 - c0)) times, wanted >= 4)" \
		test $((c1 - c0)) -ge 4
else
	fail "terminal: output blocked: tpipe did not start drawing and reading"
fi
"$TPGEN" check $((8 * MiB)) <"$T/fifo" &
track $!; ck=$!
wait_exit "$pr" 30
status_is 0 "$status" "terminal: output blocked then read" "$T/cap"
wait_exit "$ck" 10
status_is 0 "$status" "terminal: output blocked then read: byte-exact"
progress_ok "terminal: output blocked then read" "$T/cap" 4

# In the background of a shell with job control, TOSTOP set on the terminal: tpipe must not be
# stopped (SIGTTOU) for writing to the terminal, and draws no progress over the shell's.
# First a control: an ordinary background writer is stopped here (else this proves nothing).
cat >"$T/bg.sh" <<'EOF'
set -m
stty tostop || exit 9
( printf 'control output\n' ) &
wait $!
echo "control-status=$?"
"$@" &
wait $!
echo "bg-status=$?"
EOF
pty -- bash "$T/bg.sh" "$TPIPE" -i 0.1 -L 6M --stats -o "$T/out.f" "$F3"
wait_exit "$pr" 30
if ! grep -aq 'control-status=150' "$T/cap"; then
	show "$T/cap"
	skip "background with TOSTOP: a background writer is not stopped here (no job control?)"
else
	check "background with TOSTOP: tpipe runs to the end, status 0" grep -aq '^bg-status=0' "$T/cap"
	same_file "$T/out.f" "$F3" "background with TOSTOP"
	check "background with TOSTOP: its --stats still reach the terminal" grep -aq '^tpipe: bottleneck: ' "$T/cap"
	if [ "$(count_cr "$T/cap")" = 0 ]; then
		pass "background with TOSTOP: no progress drawn from the background"
	else
		show "$T/cap"
		fail "background with TOSTOP: no progress drawn from the background"
	fi
	pty -- bash "$T/bg.sh" "$TPIPE" -f -i 0.1 -L 6M -o "$T/out.f" "$F3"
	wait_exit "$pr" 30
	check "background with TOSTOP, -f: tpipe runs to the end, status 0" grep -aq '^bg-status=0' "$T/cap"
	same_file "$T/out.f" "$F3" "background with TOSTOP, -f"
fi

finish
