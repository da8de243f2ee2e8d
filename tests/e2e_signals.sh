#!/bin/bash
# SIGUSR1 (status line, carry on), SIGINT/SIGTERM (stop reading, write out what is buffered,
# 130/143; a second one exits at once), and the reader of our output going away (141, silent).
# Signals go only to the tpipe processes started here, once they have their handlers in place.
# This shell holds fifo ends on fds 3 and 4; background children never inherit them (or a
# reader would never see EOF).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

mkfifo "$T/in.fifo" "$T/out.fifo"
SIGINT=2 SIGUSR1=10 SIGTERM=15

# start_tpipe ARGS...: tpipe in the background reading the fifo in.fifo (held open on fd 3
# by this shell), stdout in $T/out, stderr in $T/err; $tp is its pid.
start_tpipe() {
	rm -f "$T/err"
	"$TPIPE" "$@" <"$T/in.fifo" >"$T/out" 2>"$T/err" 3>&- 4<&- &
	track $!; tp=$!
	exec 3>"$T/in.fifo"
	if ! wait_for 20 catches "$tp" "$SIGINT"; then
		fail "tpipe did not start (no SIGINT handler after 20 s)"
	fi
}

# --- SIGUSR1: one status line, carry on --------------------------------------------------
for eng in $(engines); do
	e=--engine=$eng
	start_tpipe "$e"
	"$TPGEN" gen 300000 >&3
	wait_for 20 size_at_least "$T/out" 300000
	kill -USR1 "$tp"
	check "SIGUSR1 ($e): a status line appears" wait_for 10 lines_at_least "$T/err" 1
	kill -USR1 "$tp"
	check "second SIGUSR1 ($e): a second status line" wait_for 10 lines_at_least "$T/err" 2
	"$TPGEN" gen 700000 -o 300000 -r 70000 >&3
	exec 3>&-
	wait_exit "$tp" 30
	status_is 0 "$status" "SIGUSR1 ($e): tpipe carries on to EOF" "$T/err"
	check "SIGUSR1 ($e): the output is byte-exact" "$TPGEN" check 1000000 <"$T/out"
	if [ "$(wc -l <"$T/err")" = 2 ] && [ "$(grep -c '^tpipe: ' "$T/err")" = 2 ]; then
		pass "SIGUSR1 ($e): exactly one 'tpipe: ' line per signal, nothing else"
	else
		_show_err
		fail "SIGUSR1 ($e): exactly one 'tpipe: ' line per signal, nothing else"
	fi
done

# SIGUSR1 while the output is stalled (the ring is full and the reader does not read).
"$TPGEN" gen $((8 * MiB)) >"$T/in8"
exec 4<>"$T/out.fifo" # a reader that reads nothing, for now
rm -f "$T/err"
"$TPIPE" -B 1M -C 256K <"$T/in8" >"$T/out.fifo" 2>"$T/err" 3>&- 4<&- &
track $!; tp=$!
wait_for 20 eval '[ "$(input_pos "$tp" 0)" -ge "$MiB" ] 2>/dev/null'
kill -USR1 "$tp"
check "SIGUSR1 with the output stalled: a status line appears" wait_for 10 lines_at_least "$T/err" 1
"$TPGEN" check $((8 * MiB)) <"$T/out.fifo" 3>&- 4<&- &
track $!; ck=$!
exec 4<&-
wait_exit "$tp" 30
status_is 0 "$status" "SIGUSR1 with the output stalled: tpipe then finishes" "$T/err"
wait_exit "$ck" 10
status_is 0 "$status" "SIGUSR1 with the output stalled: the output is byte-exact"
check "SIGUSR1 with the output stalled: one 'tpipe: ' line on stderr" \
	test "$(grep -c '^tpipe: ' "$T/err")" = 1 -a "$(wc -l <"$T/err")" = 1

# --- SIGINT / SIGTERM while an endless producer keeps writing ------------------------------
for sig in INT TERM; do
	want=$((128 + $(kill -l "$sig")))
	for eng in $(engines); do
		e=--engine=$eng
		start_tpipe "$e"
		"$TPGEN" gen 100000000000 -p 65536 -w 5 >&3 2>/dev/null 3>&- 4<&- &
		track $!; gen=$!
		exec 3>&-
		wait_for 20 size_at_least "$T/out" 200000
		kill -"$sig" "$tp"
		wait_exit "$tp" 20
		status_is "$want" "$status" "SIG$sig to tpipe ($e) with an endless producer" "$T/err"
		n=$("$TPGEN" check 100000000000 -P <"$T/out")
		check "SIG$sig ($e): the output is a correct prefix of the stream (got ${n:-?} bytes)" \
			test -n "$n" -a "${n:-0}" -ge 200000
		stop_child "$gen"
		wait_exit "$gen" 10
	done
done

# --- SIGINT/SIGTERM: what was read is written out in full, while the input stays open -------
# tpipe reads a 4 MiB file, then waits on standard input (a fifo held open here and never
# written), while its output (a fifo nobody reads yet) is stalled. A signal must stop the
# reading but not lose the buffered 4 MiB: tpipe stays alive until a reader takes it all.
"$TPGEN" gen $((4 * MiB)) >"$T/in4"
# stalled_tpipe ARGS...: tpipe ARGS in4 - < in.fifo > out.fifo, once it has read all of in4.
stalled_tpipe() {
	exec 4<>"$T/out.fifo"
	rm -f "$T/err"
	"$TPIPE" "$@" "$T/in4" - <"$T/in.fifo" >"$T/out.fifo" 2>"$T/err" 3>&- 4<&- &
	track $!; tp=$!
	exec 3>"$T/in.fifo"
	if ! wait_for 20 done_with_file "$tp" "$T/in4"; then
		fail "tpipe did not read the 4 MiB file within 20 s"
	fi
}
for sig in INT TERM; do
	want=$((128 + $(kill -l "$sig")))
	for eng in $(engines); do
		e=--engine=$eng
		stalled_tpipe "$e"
		kill -"$sig" "$tp"
		sleep 0.5 # time to act on the signal, if it (wrongly) were to exit
		check "SIG$sig ($e) with the output stalled: tpipe stays to write out its buffer" alive "$tp"
		"$TPGEN" check $((4 * MiB)) <"$T/out.fifo" 3>&- 4<&- &
		track $!; ck=$!
		exec 4<&-
		wait_exit "$tp" 20
		status_is "$want" "$status" "SIG$sig ($e), input still open, buffer drained" "$T/err"
		wait_exit "$ck" 10
		status_is 0 "$status" "SIG$sig ($e): everything read before the signal is written out, exactly"
		exec 3>&-
	done
done

# --- the drain is bounded: --drain-timeout, then what was not written is said -------------
# The output stays stalled after the signal: tpipe gives up after --drain-timeout, says how
# many bytes it read and did not write, and exits with the signal's status. The bytes it did
# write (into the fifo) and those it says it did not add up to the 4 MiB it read.
drained() { # the bytes waiting in the fifo on fd 4, read without blocking (dd stops at EAGAIN)
	dd if=/dev/fd/4 iflag=nonblock bs=64K status=none 2>/dev/null | wc -c
}
for eng in $(engines); do
	e=--engine=$eng
	stalled_tpipe "$e" --drain-timeout 1
	t0=$(date +%s%N)
	kill -TERM "$tp"
	wait_exit "$tp" 20
	ms=$((($(date +%s%N) - t0) / 1000000))
	status_is 143 "$status" "--drain-timeout 1 ($e), the output stalled: SIGTERM's status" "$T/err"
	check "--drain-timeout 1 ($e): gave up after about 1 s ($ms ms)" [ "$ms" -ge 900 ] && [ "$ms" -lt 8000 ]
	expect_stderr_line '^tpipe: standard output: [0-9]+ bytes were not written: the output took longer than --drain-timeout \(1 s\) to take what was buffered$' "--drain-timeout 1 ($e)"
	said=$(sed -n 's/.*: \([0-9]*\) bytes were not written.*/\1/p' "$T/err")
	got=$(drained)
	check "--drain-timeout 1 ($e): written ($got) + said not written (${said:-?}) = read (4 MiB)" \
		[ "$((got + ${said:-0}))" = $((4 * MiB)) ]
	exec 3>&- 4<&-
done
stalled_tpipe --drain-timeout 0
kill -INT "$tp"
wait_exit "$tp" 10
status_is 130 "$status" "--drain-timeout 0: SIGINT ends it at once" "$T/err"
expect_stderr_line 'bytes were not written' "--drain-timeout 0"
exec 3>&- 4<&-
usage_bad() { run "$TPIPE" "$@" </dev/null; expect_status 2 "$*"; }
usage_bad --drain-timeout=-1
usage_bad --drain-timeout=soon

# --- a second signal exits at once, even with the output stalled ----------------------------
for sig in INT TERM; do
	want=$((128 + $(kill -l "$sig")))
	stalled_tpipe
	kill -"$sig" "$tp"
	sleep 0.5
	check "first SIG$sig with the output stalled: tpipe still alive, waiting to drain" alive "$tp"
	kill -"$sig" "$tp"
	wait_exit "$tp" 10
	status_is "$want" "$status" "second SIG$sig: tpipe exits within 10 s although the output is stalled" "$T/err"
	exec 3>&- 4<&-
done

# --- the reader of our output goes away ----------------------------------------------------
# The producer would take a minute or more; tpipe must end within the timeout, silently, 141.
for eng in $(engines); do
	e=--engine=$eng
	"$TPGEN" gen 100000000000 2>/dev/null | with_timeout 20 "$TPIPE" "$e" 2>"$T/err" | head -c 10 >/dev/null
	st=${PIPESTATUS[1]}
	status_is 141 "$st" "reader goes away: tp-gen gen | tpipe $e | head -c 10" "$T/err"
	expect_stderr_empty "reader goes away ($e)"

	"$TPGEN" gen 100000000000 2>/dev/null | with_timeout 20 "$TPIPE" "$e" -B 8K -C 4K 2>"$T/err" | true
	st=${PIPESTATUS[1]}
	status_is 141 "$st" "reader gone before reading: tpipe $e -B 8K -C 4K | true" "$T/err"
	expect_stderr_empty "reader gone before reading ($e)"

	with_timeout 20 "$TPIPE" "$e" "$T/in8" 2>"$T/err" | head -c 10 >/dev/null
	st=${PIPESTATUS[0]}
	status_is 141 "$st" "reader goes away, input a file: tpipe $e FILE | head -c 10" "$T/err"
	expect_stderr_empty "reader goes away, input a file ($e)"
done

# --- waiting to open a FIFO: signals still act -------------------------------------------------
# Opening a FIFO blocks until the other end opens it; tpipe must not sit deaf to Ctrl-C there.
mkfifo "$T/nobody-reads" "$T/nobody-writes"
"$TPIPE" -o "$T/nobody-reads" </dev/null 2>"$T/err" &
track $!; tp=$!
wait_for 10 catches "$tp" $SIGUSR1
kill -USR1 "$tp"
sleep 0.3
check "waiting to open an output FIFO: SIGUSR1 does not end tpipe" alive "$tp"
kill -INT "$tp"
wait_exit "$tp" 10
status_is 130 "$status" "waiting to open an output FIFO: SIGINT ends it" "$T/err"
expect_stderr_empty "waiting to open an output FIFO, SIGINT"

"$TPIPE" "$T/in8" "$T/nobody-writes" "$T/in8" >"$T/out" 2>"$T/err" &
track $!; tp=$!
wait_for 10 size_at_least "$T/out" "$(file_size "$T/in8")"
kill -TERM "$tp"
wait_exit "$tp" 10
status_is 143 "$status" "waiting to open an input FIFO: SIGTERM ends it" "$T/err"
same_file "$T/out" "$T/in8" "waiting to open an input FIFO: what came before is written out"
expect_stderr_empty "waiting to open an input FIFO, SIGTERM"

finish
