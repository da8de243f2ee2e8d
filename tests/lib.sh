# Shared by the end-to-end tests (bash). Source it as:  . "$SRCDIR/tests/lib.sh"
# Environment (set by `make check`): TPIPE, the binary; TESTDIR, where tp-gen and no-uring were
# built; SRCDIR, the source tree.
#
# Every assertion prints one TAP-like line, "ok N - what" or "not ok N - what" followed by
# "#   ..." lines saying what was expected and what happened. `finish` prints a summary and
# exits 1 if anything failed. Nothing may hang: tpipe always runs under a timeout, and
# background processes are waited for with bounded polling loops.

: "${TPIPE:?TPIPE must name the tpipe binary}"
: "${TESTDIR:?TESTDIR must name the build tests/ directory}"
: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
TPGEN=$TESTDIR/tp-gen
NOURING=$TESTDIR/no-uring
[ -x "$TPIPE" ] || { echo "FAIL: $TPIPE is not an executable"; exit 1; }
[ -x "$TPGEN" ] || { echo "FAIL: $TPGEN is missing (make tests/tp-gen)"; exit 1; }

# Generous: a hang is what these catch, not slowness.
TMO=${TMO:-60}

T=$(mktemp -d "${TMPDIR:-/tmp}/tpipe-e2e.XXXXXX") || exit 1
_bg_pids=()
_others_dir=
_cleanup() {
	local p
	for p in "${_bg_pids[@]}"; do
		stop_child "$p" KILL
	done
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
	[ -n "$_others_dir" ] && rm -rf "$_others_dir"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM HUP

# for_others BIN...: copies of the programs BIN in a directory every user may enter and run
# from, for checks run as another user (setpriv): the build may sit where only we can go (a
# 0700 temporary clone, as under CI). The directory is $_others_dir (call it in this shell,
# not in $(...), so that it is removed at exit).
for_others() {
	_others_dir=$(mktemp -d /tmp/tpipe-others.XXXXXX) || return 1
	cp "$@" "$_others_dir/" && chmod 755 "$_others_dir" "$_others_dir"/*
}

_n=0
_failed=0
_skipped=0
_notes=()

# note MSG: detail shown under the next "not ok" line (discarded when the check passes).
note() { _notes+=("$*"); }

_report() { # _report STATUS DESC
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		local m
		for m in "${_notes[@]}"; do
			printf '#   %s\n' "$m"
		done
		_failed=$((_failed + 1))
	fi
	_notes=()
}

# fail MSG: a failed check of its own.
fail() {
	echo "FAIL: $*"
	_report 1 "$*"
}
pass() { _report 0 "$*"; }
# skip MSG: a check this machine cannot make for a reason no install step mends (running as
# root, io_uring refused by the kernel, no job control).
skip() {
	_n=$((_n + 1))
	_skipped=$((_skipped + 1))
	echo "ok $_n - # SKIP $*"
	_notes=()
}
# skip_missing TOOL MSG: a check that needs TOOL, which is not here. scripts/bootstrap installs
# every tool a test uses, so under CI (CI=true) this is a missing install step and fails.
skip_missing() {
	local tool=$1
	shift
	if [ "${CI:-}" = true ]; then
		fail "$* ($tool is missing: under CI a missing tool is a missing install step in scripts/bootstrap)"
	else
		skip "$* ($tool is missing; scripts/bootstrap installs it)"
	fi
}

# check DESC CMD...: passes when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then
		_report 0 "$desc"
	else
		_report 1 "$desc"
	fi
}

finish() {
	echo "# $_n checks, $_failed failed, $_skipped skipped"
	[ "$_failed" = 0 ] || exit 1
	exit 0
}

# with_timeout SECONDS CMD...: runs CMD, killed if it outlives SECONDS (status 124, or 137).
with_timeout() {
	local s=$1
	shift
	timeout -k 2 "$s" "$@"
}

timed_out() { [ "$1" = 124 ] || [ "$1" = 137 ]; }

# run CMD...: runs CMD under the timeout with stdout in $T/out, stderr in $T/err, status in
# $status. Standard input is the caller's (redirect it on the call).
run() {
	with_timeout "$TMO" "$@" >"$T/out" 2>"$T/err"
	status=$?
	_last_cmd="$*"
}

# tp ARGS...: run tpipe.
tp() { run "$TPIPE" "$@"; }

_show_err() {
	local f=${1:-$T/err}
	if [ -s "$f" ]; then
		note "stderr was:"
		while IFS= read -r l; do note "  | $l"; done < <(head -n 5 "$f")
	else
		note "stderr was empty"
	fi
}

# expect_status CODE [DESC]: the last run's exit status.
expect_status() {
	local want=$1 desc=${2:-$_last_cmd}
	if [ "$status" = "$want" ]; then
		pass "$desc: exit status $want"
	else
		note "expected exit status $want, got $status$(timed_out "$status" && echo " (killed by the timeout: a hang)")"
		note "command: $_last_cmd"
		_show_err
		fail "$desc: exit status $want"
	fi
}

# status_is CODE GOT DESC: a status collected some other way (PIPESTATUS, wait).
status_is() {
	local want=$1 got=$2 desc=$3
	if [ "$got" = "$want" ]; then
		pass "$desc: exit status $want"
	else
		note "expected exit status $want, got $got$(timed_out "$got" && echo " (killed by the timeout: a hang)")"
		[ -n "${4:-}" ] && _show_err "$4"
		fail "$desc: exit status $want"
	fi
}

# expect_stderr_empty [DESC] [FILE]
expect_stderr_empty() {
	local desc=${1:-$_last_cmd} f=${2:-$T/err}
	if [ ! -s "$f" ]; then
		pass "$desc: stderr empty"
	else
		_show_err "$f"
		fail "$desc: stderr empty"
	fi
}

# expect_stdout_empty [DESC]
expect_stdout_empty() {
	local desc=${1:-$_last_cmd}
	if [ ! -s "$T/out" ]; then
		pass "$desc: nothing on stdout"
	else
		note "expected no output, got $(wc -c <"$T/out") bytes: $(head -c 80 "$T/out" | tr -c '[:print:]' '.')"
		fail "$desc: nothing on stdout"
	fi
}

# expect_stderr_line REGEX [DESC] [FILE]: stderr is exactly one line "tpipe: WHAT: WHY"
# that also matches REGEX (extended).
expect_stderr_line() {
	local re=$1 desc=${2:-$_last_cmd} f=${3:-$T/err}
	local lines
	lines=$(wc -l <"$f")
	if [ "$lines" = 1 ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] &&
		grep -Eq '^tpipe: .+: .+$' "$f" && grep -Eq -- "$re" "$f"; then
		pass "$desc: one stderr line like /$re/"
	else
		note "expected exactly one line 'tpipe: WHAT: WHY' matching /$re/, got $lines line(s)"
		_show_err "$f"
		fail "$desc: one stderr line like /$re/"
	fi
}

# same_file GOT WANT DESC: byte-exact comparison.
same_file() {
	local got=$1 want=$2 desc=$3
	if cmp -s "$got" "$want"; then
		pass "$desc: output byte-exact"
	else
		note "expected $(wc -c <"$want") bytes identical to $want; got $(wc -c <"$got") bytes"
		note "$(cmp "$got" "$want" 2>&1 | head -n 1)"
		fail "$desc: output byte-exact"
	fi
}

# pattern_file SIZE: prints the path of a file holding the first SIZE bytes of the pattern.
pattern_file() {
	local f=$T/pattern.$1
	[ -f "$f" ] || "$TPGEN" gen "$1" >"$f"
	echo "$f"
}

# alive PID: true while the process exists and is not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st%% *}" != Z ]
}

# child PID: true while PID is a live child of this shell not yet waited for. A PID we have
# reaped may already name someone else's process (pid_max can be as low as 32768), so
# nothing here signals a PID unless this holds.
child() {
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	set -- $st
	[ "$1" != Z ] && [ "$2" = "$$" ]
}

# stop_child PID [SIG]: sends SIG (default TERM) to PID only if it is still our child.
stop_child() {
	child "$1" && kill -"${2:-TERM}" "$1" 2>/dev/null
	return 0
}

# track PID: remember a background job, killed at exit if still running:
#   cmd <in >out & track $!; pid=$!
track() {
	_bg_pids+=("$1")
}

# _untrack PID: a reaped PID is no longer ours to signal.
_untrack() {
	local p keep=()
	for p in "${_bg_pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	_bg_pids=("${keep[@]}")
}

# wait_exit PID SECONDS: waits at most SECONDS for PID (a child of this shell) to end; sets
# $status to its exit status, or to 124 after killing it when it did not end in time.
wait_exit() {
	local pid=$1 limit=$2 i=0 max
	max=$((limit * 20))
	while alive "$pid" && [ "$i" -lt "$max" ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if alive "$pid"; then
		stop_child "$pid" KILL
		wait "$pid" 2>/dev/null
		status=124
		_untrack "$pid"
		return 1
	fi
	wait "$pid"
	status=$?
	_untrack "$pid"
	return 0
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds; false if it never did.
wait_for() {
	local limit=$1 i=0 max
	shift
	max=$((limit * 20))
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -ge "$max" ] && return 1
		sleep 0.05
	done
	return 0
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
size_at_least() { [ "$(file_size "$1")" -ge "$2" ]; }
lines_at_least() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
# input_pos PID FD: the file position of a process's descriptor (from /proc).
input_pos() { sed -n 's/^pos:[[:space:]]*//p' "/proc/$1/fdinfo/$2" 2>/dev/null; }
input_pos_is() { [ "$(input_pos "$1" "$2")" = "$3" ]; }

# json_num KEY FILE: the first whole number after "KEY": in FILE (a --stats=json line).
json_num() { grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2; }

# json_corrupt_total FILE: the refused frames of a -D --stats=json line, all reasons summed.
json_corrupt_total() {
	grep -o '"corrupt":{[^}]*}' "$1" | grep -o '[0-9][0-9]*' | awk '{ s += $1 } END { print s + 0 }'
}

# only_zeros_differ GOT WANT: every byte where GOT differs from WANT is a zero in GOT
# (--on-gap=zero wrote it in place of lost data).
only_zeros_differ() {
	cmp -l "$1" "$2" 2>/dev/null | awk '$2 != 0 { bad = 1 } END { exit bad }'
}

KiB=1024
MiB=$((1024 * 1024))

# expect_clean DESC GOT WANT: the last run exited 0, said nothing on stderr, and GOT is WANT.
expect_clean() {
	local desc=$1 got=$2 want=$3 bad=0
	if [ "$status" != 0 ]; then
		note "expected exit status 0, got $status$(timed_out "$status" && echo " (timed out: a hang)")"
		bad=1
	fi
	if [ -s "$T/err" ]; then
		note "expected an empty stderr"
		_show_err
		bad=1
	fi
	if ! cmp -s "$got" "$want"; then
		note "expected $(wc -c <"$want") bytes identical to the input; got $(wc -c <"$got" 2>/dev/null) bytes"
		note "$(cmp "$got" "$want" 2>&1 | head -n 1)"
		bad=1
	fi
	_report "$bad" "$desc: exit 0, stderr empty, byte-exact"
}

# pipe_status DESC ST_GEN ST_TPIPE ST_CHECK: a `tp-gen gen | tpipe | tp-gen check` pipeline.
expect_pipeline() {
	local desc=$1 sg=$2 st=$3 sc=$4 bad=0
	if [ "$st" != 0 ]; then
		note "expected tpipe's exit status 0, got $st$(timed_out "$st" && echo " (timed out: a hang)")"
		bad=1
	fi
	if [ "$sc" != 0 ]; then
		note "the checker failed (status $sc): the output is not the exact input"
		bad=1
	fi
	if [ "$sg" != 0 ]; then
		note "the producer failed (status $sg)"
		bad=1
	fi
	if [ -s "$T/err" ]; then
		_show_err
		bad=1
	fi
	_report "$bad" "$desc: exit 0, byte-exact"
}

# have_uring: true when --engine=uring works here (it may be refused in containers).
have_uring() {
	[ -n "${_have_uring:-}" ] || {
		if with_timeout 10 "$TPIPE" --engine=uring </dev/null >/dev/null 2>&1; then
			_have_uring=yes
		else
			_have_uring=no
		fi
	}
	[ "$_have_uring" = yes ]
}

# engines: the engines to try here (auto is the splice path when the output is a pipe).
engines() {
	if have_uring; then echo auto uring write; else echo auto write; fi
}

# catches PID SIGNUM: true once the process has a handler for the signal (it is ready for it).
catches() {
	local mask
	mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$mask" ] && (((0x$mask >> ($2 - 1)) & 1))
}
# fd_of PID PATH: prints the process's descriptor number for PATH; false if it has none.
fd_of() {
	local l
	for l in /proc/"$1"/fd/*; do
		[ "$(readlink "$l" 2>/dev/null)" = "$2" ] && echo "${l##*/}" && return 0
	done
	return 1
}
# has_open PID PATH: true while the process has PATH open.
has_open() { fd_of "$1" "$2" >/dev/null; }
# file_pos PID PATH: the file position of the process's descriptor for PATH (0 if none). Bytes
# read through splice() move it but are not counted in /proc/PID/io.
file_pos() {
	local fd
	if fd=$(fd_of "$1" "$2"); then
		input_pos "$1" "$fd"
	else
		echo 0
	fi
}
# done_with_file PID PATH: tpipe has read PATH to its end and closed it. It opens its inputs
# only after its eventfd exists, and waits in ppoll() only once a file is done (or the ring
# is full), so an eventfd, PATH closed and a wait in poll say it.
done_with_file() {
	local l ev=1
	for l in /proc/"$1"/fd/*; do
		[[ $(readlink "$l" 2>/dev/null) == *eventfd* ]] && ev=0
	done
	local w
	w=$(cat "/proc/$1/wchan" 2>/dev/null)
	# wchan reads 0 where the kernel will not say (no kallsyms): then the rest has to do.
	[ "$ev" = 0 ] && ! has_open "$1" "$2" && { [ "$w" = 0 ] || [[ $w == *poll* ]]; }
}

# ---- UDP receivers and the lossy relay (e2e_udp.sh, e2e_fec.sh, e2e_seal.sh) -------------

# kv KEY FILE: the number after KEY= in FILE (udp-relay's and udp-attack's counts).
kv() { grep -o "$1=[0-9]*" "$2" | cut -d= -f2; }

# listening_receiver SCHEME NAME CMD...: CMD (a tpipe with --explain, listening on port 0)
# in the background (output $T/NAME.out, stderr $T/NAME.err); sets $rx_pid and $rx_port,
# the SCHEME:// port its "listening on" line names.
listening_receiver() {
	local scheme=$1 name=$2
	shift 2
	: >"$T/$name.err" # there before the job opens it, for the wait below
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	rx_pid=$!
	track "$rx_pid"
	rx_port=
	if wait_for 10 grep -q 'listening on' "$T/$name.err"; then
		rx_port=$(sed -n "s/.*listening on $scheme:.*:\\([0-9]*\\)\$/\\1/p" "$T/$name.err")
	fi
	[ -n "$rx_port" ] || fail "$name: the receiver did not say where it listens"
}

# udp_receiver NAME ARGS...: tpipe --explain ARGS, bounded by $TMO (listening_receiver).
udp_receiver() {
	local name=$1
	shift
	listening_receiver udp "$name" with_timeout "$TMO" "$TPIPE" --explain "$@"
}

# udp_relay NAME ARGS...: tests/udp-relay ARGS towards 127.0.0.1:$rx_port; sets $relay_pid
# and $relay_port. Counts go to $T/NAME.relay.
udp_relay() {
	local name=$1
	shift
	"$TESTDIR/udp-relay" --idle-ms 3000 --port-file "$T/$name.port" --stats "$T/$name.relay" \
		"$@" 0 "127.0.0.1:$rx_port" &
	relay_pid=$!
	track "$relay_pid"
	wait_for 10 test -s "$T/$name.port" || fail "$name: the relay did not start"
	relay_port=$(cat "$T/$name.port")
}
