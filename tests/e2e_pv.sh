#!/bin/bash
# pv's command lines: each display letter under a real pseudo-terminal (tests/pty-run), the
# lines syncoid and btrbk type, --format, -n read by a dialog-gauge style consumer and by
# dialog itself, -c with two tpipes on one terminal, -W, --delay-start, -w, -f, units, and bad
# values. Bytes out = bytes in every time.
. "$SRCDIR/tests/lib.sh"

PTYRUN=$TESTDIR/pty-run
ESC=$'\033'
CR=$'\r'
MiB=$((1024 * 1024))
"$TPGEN" gen $((3 * MiB)) >"$T/in3"

# The last line drawn in a capture: after the last \r, without the erase sequence.
last_line() { tr '\r' '\n' <"$1" | sed "s/${ESC}\[K//g" | grep -av '^$' | tail -n 1; }

# letter DESC ARGS REGEX: a 3 MiB file at 6 MiB/s under a pty, byte-exact, and its last line
# matches REGEX (extended, whole line).
letter() {
	local desc=$1 args=$2 re=$3 line
	rm -f "$T/cap"
	# shellcheck disable=SC2086
	with_timeout "$TMO" "$PTYRUN" -w 100x30 -o "$T/cap" -- "$TPIPE" $args -i 0.1 -L 6M \
		-o "$T/out" "$T/in3" </dev/null
	status_is 0 $? "$desc"
	same_file "$T/out" "$T/in3" "$desc"
	line=$(last_line "$T/cap")
	if [[ $line =~ ^$re$ ]]; then
		pass "$desc: the line reads like pv's: '$line'"
	else
		note "last line: '$line'"
		note "wanted: /^$re$/"
		fail "$desc: the line reads like pv's"
	fi
}

if ! with_timeout 10 "$PTYRUN" -o "$T/cap" -- true || [ -s "$T/cap" ]; then
	fail "pty-run does not work here: no pseudo-terminal"
	finish
fi

B='[ 0-9.]{4}[KMG]?i?B'       # an amount, pv's look: "3.00MiB", " 512KiB"
R="\[$B/s\]"                   # a rate
letter "-p" "-p" '\[=+\] 100%'
letter "-t" "-t" '0:00:0[0-9]'
letter "-e" "-e" 'ETA 0:00:00'
letter "-I" "-I" 'FIN [0-9]{2}:[0-9]{2}:[0-9]{2}'
letter "-r" "-r" "$R"
letter "-a" "-a" "$R"
letter "-b" "-b" '3.00MiB'
letter "-T" "-T" '\{ *[0-9]+%\}'
letter "-A 4" "-A 4" '[[:print:]]{4}'
letter "-8 -b" "-8 -b" '24.0Mib'
letter "-k -b" "-k -b" '3.15MB'
letter "syncoid's -p -t -e -r -b -s SIZE" "-p -t -e -r -b -s 3M" \
	"3.00MiB 0:00:0[0-9] $R \[=+\] 100% ETA 0:00:00"
letter "btrbk's -trab" "-trab" "3.00MiB 0:00:0[0-9] $R $R"
letter "-pterabT -N job (pv's order)" "-N job -Tbaretp" \
	"      job: 3.00MiB \{ *[0-9]+%\} 0:00:0[0-9] $R $R \[=+\] 100% ETA 0:00:00"
letter "--format" "--format=<%b|%t|%{progress-amount-only}|%%>" '<3.00MiB\|0:00:0[0-9]\|100%\|%>'

# -w 40: no line reaches column 40, and none wraps.
with_timeout "$TMO" "$PTYRUN" -w 100x30 -o "$T/cap" -- "$TPIPE" -w 40 -pterab -i 0.1 -L 6M \
	-o "$T/out" "$T/in3" </dev/null
long=$(tr '\r' '\n' <"$T/cap" | sed "s/${ESC}\[K//g" | awk 'length > 39' | wc -l)
check "-w 40: every line at most 39 columns" test "$long" = 0

# --- pv's -n, read by a gauge --------------------------------------------------------------
# What dialog --gauge does with its input: one integer 0..100 a line.
gauge() { awk '!/^[0-9]+$/ || $1 > 100 || $1 + 0 < p + 0 { bad = 1 } { p = $1 } END { exit bad || p != 100 }'; }
(with_timeout "$TMO" "$TPIPE" -n -i 0.1 -L 6M "$T/in3" | cmp - "$T/in3" >"$T/cmp") 2>&1 | gauge
check "-n into a gauge: integers 0..100, rising to 100" test "${PIPESTATUS[1]}" = 0
check "-n into a gauge: the data byte-exact" test ! -s "$T/cmp"
"$TPGEN" gen 3000000 | with_timeout "$TMO" "$TPIPE" -n -i 0.1 -L 6MB 2>"$T/err" |
	"$TPGEN" check 3000000
check "-n, no size known: the amount a line, ending at 3000000" \
	bash -c '! grep -qv "^[0-9]*$" "$1" && [ "$(tail -n 1 "$1")" = 3000000 ]' _ "$T/err"
tp -n -t -b -i 0.1 -L 6M -o "$T/out" "$T/in3" </dev/null
check "-n -t -b: 'SECONDS BYTES' lines as pv's (the amount in place of the percentage)" \
	bash -c '! grep -qvE "^[0-9]+\.[0-9]{4} [0-9]+$" "$1" &&
		[ "$(tail -n 1 "$1" | cut -d" " -f2)" = 3145728 ]' _ "$T/err"
# The same lines as pv's own, field for field (the Debian pv beside us).
pv -n -t -b -i 0.1 -L 6M "$T/in3" 2>"$T/pverr" >/dev/null
check "-n -t -b: as many fields as pv -n -t -b's lines, the same last amount" \
	bash -c '[ "$(awk "{print NF}" "$1" | sort -u)" = "$(awk "{print NF}" "$2" | sort -u)" ] &&
		[ "$(tail -n 1 "$1" | cut -d" " -f2)" = "$(tail -n 1 "$2" | cut -d" " -f2)" ]' \
	_ "$T/err" "$T/pverr"
tp -n -t -i 0.1 -L 6M -o "$T/out" "$T/in3" </dev/null
check "-n -t: 'SECONDS PERCENT' lines, ending at 100" \
	bash -c '! grep -qvE "^[0-9]+\.[0-9]{4} [0-9]+$" "$1" &&
		[ "$(tail -n 1 "$1" | cut -d" " -f2)" = 100 ]' _ "$T/err"
# dialog itself, on a terminal, reading the percentages.
dlg=$(command -v dialog)
if [ -n "$dlg" ]; then
	with_timeout "$TMO" "$PTYRUN" -o "$T/cap" -- bash -c \
		'("$1" -n -i 0.1 -L 6M "$2" >"$3") 2>&1 | "$4" --gauge progress 7 70' \
		_ "$TPIPE" "$T/in3" "$T/out" "$dlg" </dev/null
	status_is 0 $? "-n into dialog --gauge"
	same_file "$T/out" "$T/in3" "-n into dialog --gauge"
	# The percentages it drew follow a colour sequence. dialog draws at its own pace and
	# leaves at the end of its input without drawing what it read last (seen here: up to 80
	# of a run that ended at 100), so only that it took our lines is checked; the lines
	# themselves are checked by the gauge above.
	most=$(grep -aoE 'm[0-9]{1,3}' "$T/cap" | tr -d m | sort -n | tail -n 1)
	check "dialog --gauge read the percentages and drew them (up to ${most:-none})" \
		test "${most:-0}" -gt 0
else
	skip_missing dialog "-n into dialog --gauge"
fi

# --- -c: two tpipes on one terminal each keep a line ---------------------------------------
with_timeout "$TMO" "$PTYRUN" -w 100x30 -o "$T/cap" -- bash -c \
	'"$1" -c -N one -b -i 0.1 -L 6M "$2" | "$1" -c -N two -b -i 0.1 -o "$3"' \
	_ "$TPIPE" "$T/in3" "$T/out" </dev/null
status_is 0 $? "-c with two tpipes"
same_file "$T/out" "$T/in3" "-c with two tpipes"
# Each draws "save, up N, line, restore"; once both have joined, the first two lines up and
# the second one (the first may draw 1 up before the second joins).
up_of() { grep -ao "${ESC}7${ESC}\[[0-9]*A${CR} *$1:" "$T/cap" | sed 's/.*\[\([0-9]*\)A.*/\1/' | tail -n 1 | tr '\n' ' '; }
one=$(up_of one) two=$(up_of two)
if { [ "$one" = "2 " ] && [ "$two" = "1 " ]; } || { [ "$one" = "1 " ] && [ "$two" = "2 " ]; }; then
	pass "-c: each tpipe draws on a line of its own (one: up $one, two: up $two)"
else
	note "one was drawn $one lines up, two $two (wanted 1 and 2, one each)"
	fail "-c: each tpipe draws on a line of its own"
fi
check "-c: every line drawn is saved and restored" \
	bash -c '[ "$(grep -ao "${1}7" "$2" | wc -l)" = "$(grep -ao "${1}8" "$2" | wc -l)" ]' _ "$ESC" "$T/cap"
# A status line (SIGUSR1) below both lines moves them up one: both count it, so each still
# draws on its own line, now 3 and 2 up.
rm -f "$T/pid1"
"$PTYRUN" -w 100x30 -o "$T/cap" -- bash -c \
	'"$1" -c -P "$4" -N one -b -i 0.1 -L 1M "$2" | "$1" -c -N two -b -i 0.1 -o "$3"' \
	_ "$TPIPE" "$T/in3" "$T/out" "$T/pid1" </dev/null &
track $!; pr=$!
wait_for 20 test -s "$T/pid1"
# Both must have joined (drawn) first: a status line printed before a tpipe's first draw is
# above the line it reserves then, so it is rightly not counted.
wait_for 20 eval 'grep -aq "one:" "$T/cap" && grep -aq "two:" "$T/cap"'
kill -USR1 "$(cat "$T/pid1")"
wait_exit "$pr" "$TMO"
status_is 0 "$status" "-c with a status line between the draws"
same_file "$T/out" "$T/in3" "-c with a status line between the draws"
one=$(up_of one) two=$(up_of two)
if grep -aq "tpipe: one: " "$T/cap" &&
	{ { [ "$one" = "3 " ] && [ "$two" = "2 " ]; } || { [ "$one" = "2 " ] && [ "$two" = "3 " ]; }; }; then
	pass "-c: after a status line each tpipe still draws on its own line (up $one and $two)"
else
	note "one was drawn $one lines up at the end, two $two (wanted 3 and 2), status line: $(grep -ac 'tpipe: one: ' "$T/cap")"
	fail "-c: after a status line each tpipe still draws on its own line"
fi

# --- -W, --delay-start, -f -------------------------------------------------------------------
tp -W -f -b -i 0.1 </dev/null
check "-W -f with no data at all: nothing drawn" test ! -s "$T/err"
tp -f -b -i 0.1 </dev/null
check "-f without -W, no data: the final line is drawn" grep -aq '0.00 B' "$T/err"
tp --delay-start=60m -f -b -i 0.1 -L 6M -o "$T/out" "$T/in3" </dev/null
check "--delay-start=60m, a 0.5 s transfer: nothing drawn" test ! -s "$T/err"
same_file "$T/out" "$T/in3" "--delay-start"
tp -f -pb -i 0.1 -L 6M -o "$T/out" "$T/in3" </dev/null
check "-f -pb off a terminal: pv's line, redrawn with \\r" \
	bash -c '[ "$(tr -cd "\r" <"$1" | wc -c)" -ge 2 ] && grep -aq "3.00MiB \[=*\] 100%" "$1"' _ "$T/err"
tp -pb -i 0.1 -o "$T/out" "$T/in3" </dev/null
check "-p without -f off a terminal: nothing drawn (as pv)" test ! -s "$T/err"

# -l: the line counts lines, in pv's units (k, M), not bytes; so do -n and the status line.
seq 1 100000 >"$T/seq"
tp -l -f -i 0.1 -L 200000 -o "$T/out" "$T/seq" </dev/null
same_file "$T/out" "$T/seq" "-l -f"
check "-l -f, no letters: the last line counts 100k lines, no byte units" \
	bash -c 'l=$(tr "\r" "\n" <"$1" | grep -a . | tail -n 1); [[ $l == " 100k "* && $l != *B* ]]' \
	_ "$T/err"
tp -l -n -b -i 0.1 -L 200000 -o "$T/out" "$T/seq" </dev/null
check "-l -n -b: the last line is the number of lines" test "$(tail -n 1 "$T/err")" = 100000

# %A and %L show the data's last bytes and line, harmless.
printf 'first line\nsecond line\n\033[2Jtail' >"$T/text"
tp -f --format '[%8A] [%L]' -o "$T/out" "$T/text" </dev/null
same_file "$T/out" "$T/text" "--format %A %L"
check "--format '%8A %L': the last 8 bytes (escape as '.') and the last whole line" \
	grep -aq '\[\.\[2Jtail\] \[second line\]' "$T/err"

# --- bad values ------------------------------------------------------------------------------
bad() { # bad DESC REGEX ARGS...
	local desc=$1 re=$2
	shift 2
	tp "$@" </dev/null
	expect_status 2 "$desc"
	expect_stderr_line "$re" "$desc"
	expect_stdout_empty "$desc"
}
bad "-A -1" "^tpipe: --last-written: '-1' is not" -A -1
bad "-A 0" "^tpipe: --last-written: '0' is not" -A 0
bad "--format '%q'" "^tpipe: --format: '%q' is not a sequence" --format '%q'
bad "--format '%{nope}'" "^tpipe: --format: '%\{nope\}' is not" --format '%{nope}'
bad "-w 0" "^tpipe: --width: '0' is not" -w 0
bad "-d 12:x" "^tpipe: --watchfd: '12:x' is not PID or PID:FD" -d 12:x
bad "-R with nothing to change" "^tpipe: --remote: nothing to change" -R 1
bad "-R with an INPUT" "^tpipe: --remote: takes no INPUT" -R 1 -L 1M file
bad "-l with -F" "^tpipe: --line-mode: " -l -F
# A name from outside in a message is never a control sequence on the terminal.
tp "$T/x$(printf '\033')[31mred" </dev/null
expect_status 1 "a missing file whose name holds an escape"
expect_stderr_line "x\?\[31mred: No such file" "a missing file whose name holds an escape: shown as '?'"
tp -g </dev/null
check "pv's -g (not taken): a usage error, status 2" \
	bash -c '[ "$1" = 2 ] && grep -q "^tpipe: invalid option -- .g." "$2"' _ "$status" "$T/err"
tp -h </dev/null
check "-h: the help, status 0" bash -c '[ "$1" = 0 ] && grep -q "^Usage: tpipe" "$2"' _ "$status" "$T/out"

finish
