#!/bin/bash
# Pacing (-L/--rate-limit, --burst) end to end: paced transfers stay byte-exact and take about
# as long as the rate says. The windows are wide on purpose (machines are shared and noisy):
# these catch a rate that is ignored, misparsed or wildly off, not a few per cent; the exact
# goals (average error, fullest 1 ms window, post-idle bursts) are measured by scripts/bench.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# in_window DESC MS LO HI: LO <= MS < HI (milliseconds).
in_window() {
	local desc=$1 ms=$2 lo=$3 hi=$4
	if [ "$ms" -ge "$lo" ] && [ "$ms" -lt "$hi" ]; then
		pass "$desc: took ${ms} ms (wanted $lo..$hi ms)"
	else
		note "the transfer took $ms ms; expected at least $lo ms and under $hi ms"
		fail "$desc: took ${ms} ms (wanted $lo..$hi ms)"
	fi
}

# paced DESC SIZE LO_MS HI_MS [GEN_OPT...] -- TPIPE_ARGS...:
#   tp-gen gen SIZE GEN_OPTS | tpipe TPIPE_ARGS | tp-gen check SIZE, byte-exact, silent, and
#   taking LO_MS..HI_MS.
paced() {
	local desc=$1 size=$2 lo=$3 hi=$4 t0 t1
	shift 4
	local gen_opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		gen_opts+=("$1")
		shift
	done
	shift
	t0=$(ms_now)
	"$TPGEN" gen "$size" "${gen_opts[@]}" | with_timeout "$TMO" "$TPIPE" "$@" 2>"$T/err" |
		"$TPGEN" check "$size"
	local st=("${PIPESTATUS[@]}")
	t1=$(ms_now)
	expect_pipeline "$desc" "${st[0]}" "${st[1]}" "${st[2]}"
	in_window "$desc" $((t1 - t0)) "$lo" "$hi"
}

# --- 6 MB at 3 MB/s: nominally 2 s, in every spelling of the rate ---------------------------
SIX=6000000
paced "-L 3MB" $SIX 1600 10000 -- -L 3MB
paced "-L 24Mbit (= 3 MB/s)" $SIX 1600 10000 -- -L 24Mbit
paced "-L 3MB/s" $SIX 1600 10000 -- -L 3MB/s
paced "--rate-limit=3000kB --burst 64K" $SIX 1600 10000 -- --rate-limit=3000kB --burst 64K
paced "-L 3MB --engine=write" $SIX 1600 10000 -- -L 3MB --engine=write
if have_uring; then
	paced "-L 3MB --engine=uring, small chunks -C 4K" $SIX 1600 10000 -- -L 3MB --engine=uring -C 4K
else
	skip "-L 3MB --engine=uring: io_uring is refused here"
fi
# A faster rate, and a binary one: 20 MiB at 20 MiB/s is 1 s.
paced "-L 20M (binary)" $((20 * MiB)) 800 10000 -- -L 20M

# --- 0 is unlimited: 50 MB goes as fast as the pipes allow --------------------------------
paced "-L 0 (unlimited), 50 MB" 50000000 0 5000 -- -L 0
paced "-L 0 --burst 4K (a burst without a rate changes nothing), 50 MB" 50000000 0 5000 -- -L 0 --burst 4K

# --- a producer that pauses: paced output stays byte-exact --------------------------------
# 6 pieces of 500 kB with 200 ms pauses (1.2 s of idle), paced at 6 MB/s (0.5 s of pacing).
paced "-L 6MB, producer pausing 200 ms between 500 kB pieces" 3000000 1000 10000 \
	-p 500000 -w 200 -- -L 6MB
# Idle time is not banked: 1.5 MB at once, 1 s of silence, 1.5 MB more, at 3 MB/s. The first
# half takes 0.5 s, then tpipe idles 0.5 s; the second half must take 0.5 s again (ending near
# 1.5 s), not go out at once as the unused idle time (ending near 1.0 s). -S -s ends tpipe at
# the last byte, so the producer's last pause does not count; the clock stops when the checker
# has it all.
t0=$(ms_now)
"$TPGEN" gen 3000000 -p 1500000 -w 1000 |
	with_timeout "$TMO" "$TPIPE" -L 3MB -S -s 3000000 2>"$T/err" |
	{
		"$TPGEN" check 3000000
		echo "$? $(ms_now)" >"$T/check.end"
	}
st=("${PIPESTATUS[@]}")
read -r ck t1 <"$T/check.end"
expect_pipeline "-L 3MB, producer idle 0.5 s between two 1.5 MB bursts" "${st[0]}" "${st[1]}" "$ck"
in_window "-L 3MB after 0.5 s idle: the second 1.5 MB is paced too (nominal 1.5 s, 1.0 if banked)" \
	$((t1 - t0)) 1300 10000
# Many small pieces, each a little late: paced and input-bound at once.
paced "-L 2MB, producer sending 7 kB pieces every 5 ms (~1.4 MB/s)" 1000000 500 10000 \
	-p 7000 -w 5 -- -L 2MB

# --- pacing into a file (-o), and from a file ---------------------------------------------
F3=$(pattern_file 3000000)
t0=$(ms_now)
tp -L 3MB -o "$T/paced.out" "$F3" </dev/null
t1=$(ms_now)
expect_status 0 "-L 3MB -o FILE, input a 3 MB file"
expect_stderr_empty "-L 3MB -o FILE"
same_file "$T/paced.out" "$F3" "-L 3MB -o FILE"
in_window "-L 3MB -o FILE (nominal 1 s)" $((t1 - t0)) 800 10000

t0=$(ms_now)
tp -L 6MB --engine=write -o "$T/paced.out" "$F3" "$F3" </dev/null
t1=$(ms_now)
cat "$F3" "$F3" >"$T/want6"
expect_status 0 "-L 6MB --engine=write -o FILE, two 3 MB files"
same_file "$T/paced.out" "$T/want6" "-L 6MB --engine=write -o FILE, two files"
in_window "-L 6MB -o FILE, two files (nominal 1 s)" $((t1 - t0)) 800 10000

# --- rates that are not rates, and a zero burst: usage errors -------------------------------
bad_usage() { # bad_usage DESC ARGS...: exit 2 with one "tpipe: ..." line naming the option
	local desc=$1 re=$2
	shift 2
	tp "$@" </dev/null
	expect_status 2 "$desc"
	expect_stderr_line "$re" "$desc"
	expect_stdout_empty "$desc"
}
bad_usage "-L 12Q (unknown suffix)" 'rate-limit' -L 12Q
bad_usage "-L -5 (negative)" 'rate-limit' -L -5
bad_usage "-L '' (empty)" 'rate-limit' -L ''
bad_usage "-L 5bit (bits without a multiplier are not a unit)" 'rate-limit' -L 5bit
bad_usage "-L 3MB/s/s (two /s)" 'rate-limit' -L 3MB/s/s
bad_usage "--rate-limit=abc" 'rate-limit' --rate-limit=abc
bad_usage "-L 1.5 (a fraction of a byte per second)" 'rate-limit' -L 1.5
bad_usage "--burst 0" 'burst' -L 3MB --burst 0
bad_usage "--burst 4Q" 'burst' -L 3MB --burst 4Q

# ... and rates that are: accepted (an empty input ends at once).
for r in 1 1.5M 100kbit/s 2Gbit 20MB/s 1T 0/s; do
	tp -L "$r" </dev/null
	expect_status 0 "-L $r is a rate"
done

finish
