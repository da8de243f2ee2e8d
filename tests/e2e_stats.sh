#!/bin/bash
# Final statistics (--stats, --stats=json), the bottleneck sentence, --explain, and the SIGUSR1
# status line during a paced transfer. JSON is checked with python3's json module (scripts/
# bootstrap installs python3; without it the checks skip, and fail under CI). The bottleneck
# runs are built so that one side waits nearly all of the time (about 1 s runs where it waits
# 90 % or more), far from the 10 % threshold and from the other sides: a slow run makes them
# more so, not less.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

SIGINT=2 SIGUSR1=10
F3=$(pattern_file 3000000)

have_python() { command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; }

# The checker: python3 jcheck.py FILE key=value...: FILE (stderr) is exactly one line, a JSON
# object with the documented keys, numbers as numbers, sane values, and what the key=value
# arguments ask: bytes=N, engine=E, bottleneck=PREFIX, rate_limit=N, name=S,
# min_wait=reader|writer|pace:SECONDS. Prints what is wrong, exits 1 if anything is.
cat >"$T/jcheck.py" <<'EOF'
import json, sys
path, want = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
text = open(path, encoding="utf-8", errors="replace").read()
errs = []
lines = text.splitlines()
if len(lines) != 1 or not text.endswith("\n"):
    errs.append("%d lines on stderr, wanted exactly one JSON line: %r" % (len(lines), text[:300]))
try:
    d = json.loads(lines[0] if lines else "")
except ValueError as e:
    print("\n".join(errs + ["not JSON (%s): %r" % (e, text[:300])]))
    sys.exit(1)
if not isinstance(d, dict):
    print("not a JSON object: %r" % text[:300])
    sys.exit(1)
def isnum(v, ints=False):
    return not isinstance(v, bool) and isinstance(v, int if ints else (int, float))
ints = ["bytes", "rate_limit", "intervals", "write_calls", "ring_high_water", "ring_depth", "chunk_size"]
floats = ["seconds", "rate_avg", "rate_min", "rate_max", "rate_mean_dev", "reader_wait_s",
          "writer_wait_s", "pace_wait_s", "write_latency_min_s", "write_latency_avg_s",
          "write_latency_max_s"]
for k in ints + floats + ["name", "engine", "bottleneck"]:
    if k not in d:
        errs.append("no key %r" % k)
for k in ints:
    if k in d and not (isnum(d[k], True) and d[k] >= 0):
        errs.append("%s is %r, wanted a whole number >= 0" % (k, d[k]))
for k in floats:
    if k in d and not (isnum(d[k]) and d[k] >= 0):
        errs.append("%s is %r, wanted a number >= 0" % (k, d[k]))
if errs:
    print("\n".join(errs))
    sys.exit(1)
if not d["seconds"] > 0:
    errs.append("seconds is %r, wanted > 0" % d["seconds"])
if d["engine"] not in ("splice", "io_uring", "write"):
    errs.append("engine is %r, wanted splice, io_uring or write" % d["engine"])
if not (isinstance(d["bottleneck"], str) and d["bottleneck"]):
    errs.append("bottleneck is %r, wanted a sentence" % d["bottleneck"])
if d["bytes"] > 0 and d["write_calls"] == 0:
    errs.append("%d bytes but no write calls" % d["bytes"])
if d["ring_depth"] < 2 or d["chunk_size"] < 4096 or d["chunk_size"] % 4096:
    errs.append("ring_depth %r, chunk_size %r: wanted >= 2 chunks of whole pages" % (d["ring_depth"], d["chunk_size"]))
if d["ring_high_water"] > d["ring_depth"]:
    errs.append("ring_high_water %r above ring_depth %r" % (d["ring_high_water"], d["ring_depth"]))
for k in ("reader_wait_s", "writer_wait_s", "pace_wait_s"):
    if d[k] > d["seconds"] * 1.01 + 0.01:
        errs.append("%s %r is longer than the whole run (%r s)" % (k, d[k], d["seconds"]))
if d["write_calls"] and not (d["write_latency_min_s"] <= d["write_latency_avg_s"] <= d["write_latency_max_s"]):
    errs.append("write latency min %r / avg %r / max %r out of order" % (
        d["write_latency_min_s"], d["write_latency_avg_s"], d["write_latency_max_s"]))
if "bytes" in want and d["bytes"] != int(want["bytes"]):
    errs.append("bytes is %r, wanted %s" % (d["bytes"], want["bytes"]))
if "engine" in want and d["engine"] != want["engine"]:
    errs.append("engine is %r, wanted %s" % (d["engine"], want["engine"]))
if "rate_limit" in want and d["rate_limit"] != int(want["rate_limit"]):
    errs.append("rate_limit is %r, wanted %s" % (d["rate_limit"], want["rate_limit"]))
if "name" in want and d["name"] != (want["name"] or None):
    errs.append("name is %r, wanted %r" % (d["name"], want["name"] or None))
if "bottleneck" in want and not d["bottleneck"].startswith(want["bottleneck"]):
    errs.append("bottleneck is %r, wanted it to start with %r" % (d["bottleneck"], want["bottleneck"]))
if "min_wait" in want:
    side, secs = want["min_wait"].split(":")
    if d[side + "_wait_s"] < float(secs):
        errs.append("%s_wait_s is %r, wanted >= %s" % (side, d[side + "_wait_s"], secs))
if errs:
    print("\n".join(errs))
    sys.exit(1)
print(d["bottleneck"])
EOF

# json_ok DESC FILE key=value...: the --stats=json line in FILE passes jcheck.py.
json_ok() {
	local desc=$1 f=$2 out
	shift 2
	if ! have_python; then
		if [ "$(wc -l <"$f")" = 1 ] && grep -q '^{.*"bytes":[0-9]*,.*"bottleneck":".*"}$' "$f"; then
			skip_missing python3 "$desc: one JSON object, parsed (it looks like one)"
		else
			_show_err "$f"
			fail "$desc: one JSON object (python3 is not here; not even its shape is right)"
		fi
		return
	fi
	if out=$(python3 "$T/jcheck.py" "$f" "$@" 2>&1); then
		pass "$desc: one JSON object, as documented ($out)"
	else
		while IFS= read -r l; do note "$l"; done <<<"$out"
		fail "$desc: one JSON object, as documented"
	fi
}

# pipeline GEN_ARGS -- TPIPE_ARGS -- CHECK_ARGS: tp-gen gen | tpipe | tp-gen check, with
# tpipe's stderr in $T/err; $st holds the three statuses.
pipeline() {
	local g=() a=()
	while [ "$1" != -- ]; do g+=("$1"); shift; done
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	"$TPGEN" gen "${g[@]}" | with_timeout "$TMO" "$TPIPE" "${a[@]}" 2>"$T/err" | "$TPGEN" check "$@"
	st=("${PIPESTATUS[@]}")
}
pipeline_ok() {
	if [ "${st[0]}${st[1]}${st[2]}" = 000 ]; then
		pass "$1: exit 0, byte-exact"
	else
		note "statuses (gen tpipe check): ${st[*]}"
		_show_err
		fail "$1: exit 0, byte-exact"
	fi
}

# --- --stats (text) --------------------------------------------------------------------------
pipeline 1000000 -- --stats -- 1000000
pipeline_ok "--stats"
if [ "$(grep -vc '^tpipe: ' "$T/err")" = 0 ] && [ "$(wc -l <"$T/err")" -ge 4 ] &&
	head -n 1 "$T/err" | grep -q '(1000000 bytes)' &&
	grep -qE '^tpipe: bottleneck: (balanced|input-bound|output-bound|rate-limited): ' "$T/err"; then
	pass "--stats: 'tpipe: ' lines, the byte count, a 'bottleneck:' line"
else
	_show_err
	fail "--stats: 'tpipe: ' lines, the byte count, a 'bottleneck:' line"
fi
check "--stats: waits, writes and the ring are reported" \
	eval 'grep -q "^tpipe: waited: " "$T/err" && grep -q "^tpipe: writes: [0-9]* calls*" "$T/err" &&
	grep -q "^tpipe: ring: high-water [0-9]* of [0-9]* chunks" "$T/err"'
pipeline 1000000 -- --stats=text -N job -q -- 1000000
pipeline_ok "--stats=text -N job -q"
check "--stats=text -N job -q: every line starts 'tpipe: job: ', -q does not hide them" \
	eval '[ "$(grep -vc "^tpipe: job: " "$T/err")" = 0 ] && grep -q "^tpipe: job: bottleneck: " "$T/err"'

# --- --stats=json ----------------------------------------------------------------------------
for eng in $(engines); do
	pipeline 1234567 -r 70000 -- --stats=json --engine="$eng" -- 1234567
	pipeline_ok "--stats=json --engine=$eng"
	want_eng=()
	[ "$eng" = write ] && want_eng=(engine=write)
	[ "$eng" = uring ] && want_eng=(engine=io_uring)
	json_ok "--stats=json --engine=$eng" "$T/err" bytes=1234567 name= "${want_eng[@]}"
done
pipeline 1000 -- --stats=json -N 'a "quoted"\name' -- 1000
pipeline_ok "--stats=json -N with quotes and a backslash"
json_ok "--stats=json -N with quotes and a backslash" "$T/err" bytes=1000 'name=a "quoted"\name'
tp --stats=json </dev/null
expect_status 0 "--stats=json, empty input"
json_ok "--stats=json, empty input" "$T/err" bytes=0

# Interrupted: the statistics still come, and count exactly what was written.
mkfifo "$T/in.fifo"
"$TPIPE" --stats=json -B 1M <"$T/in.fifo" >"$T/out" 2>"$T/err" &
track $!; tpid=$!
"$TPGEN" gen 100000000000 -p 65536 -w 2 >"$T/in.fifo" 2>/dev/null &
track $!; gen=$!
wait_for 20 catches "$tpid" $SIGINT
wait_for 20 size_at_least "$T/out" 500000
kill -INT "$tpid"
wait_exit "$tpid" 20
status_is 130 "$status" "--stats=json, SIGINT with an endless producer" "$T/err"
n=$(file_size "$T/out")
json_ok "--stats=json after SIGINT: bytes is what was written ($n)" "$T/err" bytes="$n"
stop_child "$gen"
wait_exit "$gen" 10

tp --stats=bogus </dev/null
expect_status 2 "--stats=bogus"
expect_stderr_line 'stats' "--stats=bogus"
tp --stats= </dev/null
expect_status 2 "--stats= (empty)"
expect_stderr_line 'stats' "--stats= (empty)"

# --- the bottleneck, named -------------------------------------------------------------------
# Rate-limited: a fast producer and consumer, -L 5MB: ~1 s asleep in the pacer.
pipeline 5000000 -- -L 5MB --stats=json -- 5000000
pipeline_ok "-L 5MB --stats=json"
json_ok "-L 5MB, fast both sides: rate-limited" "$T/err" bytes=5000000 rate_limit=5000000 \
	bottleneck=rate-limited min_wait=pace:0.5
pipeline 5000000 -- -L 5MB --stats -- 5000000
pipeline_ok "-L 5MB --stats"
check "-L 5MB --stats: 'bottleneck: rate-limited: held to 5.00 MB/s'" \
	grep -q '^tpipe: bottleneck: rate-limited: held to 5.00 MB/s' "$T/err"
# Input-bound: 100 pieces of 20 kB 10 ms apart (~1 s), nothing else slow.
pipeline 2000000 -p 20000 -w 10 -- --stats=json -- 2000000
pipeline_ok "slow producer --stats=json"
json_ok "slow producer: input-bound" "$T/err" bytes=2000000 bottleneck=input-bound min_wait=writer:0.5
# Output-bound: a consumer reading at most 64 KiB every 2 ms (~1.2 s for 20 MB), a small ring.
pipeline 20000000 -- -B 1M --stats=json -- 20000000 -r 65536 -w 2
pipeline_ok "slow consumer --stats=json"
json_ok "slow consumer: output-bound" "$T/err" bytes=20000000 bottleneck=output-bound min_wait=reader:0.5

# --- --explain -------------------------------------------------------------------------------
# explain_ok DESC: $T/err starts with the choices, in order, each "tpipe: WHAT: ...".
explain_ok() {
	local desc=$1 order
	order=$(grep -oE '^tpipe: (engine|chunk size|ring depth|burst):' "$T/err" | tr '\n' '|')
	if [ "$order" = "tpipe: engine:|tpipe: chunk size:|tpipe: ring depth:|tpipe: burst:|" ] &&
		[ "$(grep -vc '^tpipe: [a-z ]*: ' "$T/err")" = 0 ]; then
		pass "$desc: engine, chunk size, ring depth and burst, one 'tpipe: ' line each"
	else
		_show_err
		fail "$desc: engine, chunk size, ring depth and burst, one 'tpipe: ' line each"
	fi
}
explain_has() { # explain_has DESC EREGEX
	if grep -qE -- "$2" "$T/err"; then
		pass "$1"
	else
		note "no line like /$2/"
		_show_err
		fail "$1"
	fi
}

# Before the transfer: said while the input has not sent a byte yet.
rm -f "$T/err"
"$TPIPE" --explain <"$T/in.fifo" >"$T/out" 2>"$T/err" &
track $!; tpid=$!
exec 3>"$T/in.fifo"
check "--explain: the choices are printed before any data arrives" wait_for 10 lines_at_least "$T/err" 4
check "--explain: ... and nothing is written yet" test "$(file_size "$T/out")" = 0
"$TPGEN" gen 2000000 -r 70000 >&3
exec 3>&-
wait_exit "$tpid" 30
status_is 0 "$status" "--explain, then a transfer" "$T/err"
check "--explain: the transfer is byte-exact" "$TPGEN" check 2000000 <"$T/out"
explain_ok "--explain (unpaced)"
explain_has "--explain unpaced: 1 MiB chunks, 16 of them in the default 16M ring, no burst" \
	'^tpipe: chunk size: 1\.00 MiB .*'
explain_has "--explain unpaced: ring depth 16" '^tpipe: ring depth: 16 chunks'
explain_has "--explain unpaced: burst none" '^tpipe: burst: none'

pipeline 2000000 -- --explain -L 20MB -- 2000000
pipeline_ok "--explain -L 20MB"
explain_ok "--explain -L 20MB"
explain_has "--explain -L 20MB: chunks under 1 MiB" '^tpipe: chunk size: [0-9.]+ (B|KiB) '
explain_has "--explain -L 20MB: the burst is a number of bytes" '^tpipe: burst: [0-9]+ bytes'

pipeline 200000 -- --explain -L 20MB --burst 8K -- 200000
pipeline_ok "--explain -L 20MB --burst 8K"
explain_has "--explain --burst 8K: burst 8192 bytes" '^tpipe: burst: 8192 bytes'
pipeline 200000 -- --explain -B 1M -- 200000
pipeline_ok "--explain -B 1M"
explain_has "--explain -B 1M: a quarter of the ring per chunk, 4 chunks" '^tpipe: chunk size: 256 KiB'
explain_has "--explain -B 1M: ring depth 4" '^tpipe: ring depth: 4 chunks'
pipeline 200000 -- --explain -C 64K -- 200000
pipeline_ok "--explain -C 64K"
explain_has "--explain -C 64K: chunk 64 KiB, set by the option" '^tpipe: chunk size: 64\.0 KiB .*--chunk-size'
explain_has "--explain -C 64K: ring depth 256" '^tpipe: ring depth: 256 chunks'
pipeline 200000 -- --explain --engine=write -- 200000
pipeline_ok "--explain --engine=write"
explain_has "--explain --engine=write: engine write, set by the option" '^tpipe: engine: write .*--engine'

if [ -x "$NOURING" ]; then
	# To a file: a pipe output would take the splice path, which needs no io_uring.
	"$TPGEN" gen 2000000 | with_timeout "$TMO" "$NOURING" EPERM -- "$TPIPE" --explain -o "$T/o.bin" 2>"$T/err"
	st=("${PIPESTATUS[@]}")
	"$TPGEN" check 2000000 <"$T/o.bin"
	st+=($?)
	pipeline_ok "io_uring refused (EPERM), --explain"
	explain_ok "io_uring refused, --explain"
	explain_has "io_uring refused: --explain says write, io_uring unavailable" \
		'^tpipe: engine: write .*io_uring unavailable'
	"$TPGEN" gen 300000 | with_timeout "$TMO" "$NOURING" EPERM -- "$TPIPE" --stats=json -o "$T/o.bin" 2>"$T/err"
	st=("${PIPESTATUS[@]}")
	"$TPGEN" check 300000 <"$T/o.bin"
	st+=($?)
	pipeline_ok "io_uring refused (EPERM), --stats=json"
	json_ok "io_uring refused: --stats=json says engine write" "$T/err" bytes=300000 engine=write
	"$TPGEN" gen 300000 | with_timeout "$TMO" "$NOURING" EPERM -- "$TPIPE" --stats=json 2>"$T/err" |
		"$TPGEN" check 300000
	st=("${PIPESTATUS[@]}")
	pipeline_ok "io_uring refused (EPERM), to a pipe"
	json_ok "io_uring refused, to a pipe: splice needs no io_uring" "$T/err" bytes=300000 engine=splice
else
	skip_missing "$NOURING" "--explain with io_uring refused (libseccomp)"
fi

# --- a -N name that is not UTF-8 still gives valid JSON ----------------------------------------
if have_python; then
	tp -N "$(printf 'caf\351 \342\234\223')" --stats=json <"$F3"
	check "-N in Latin-1: --stats=json is valid UTF-8 JSON, the bad byte replaced" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", errors="strict"))
sys.exit(d["name"] != "caf\ufffd \u2713")' "$T/err"
else
	skip_missing python3 "-N in Latin-1: valid JSON"
fi

# --- SIGUSR1 during a paced transfer ---------------------------------------------------------
for eng in auto write; do
	rm -f "$T/err"
	"$TPIPE" -L 3MB --engine=$eng -N job "$F3" </dev/null >"$T/out" 2>"$T/err" &
	track $!; tpid=$!
	wait_for 20 catches "$tpid" $SIGUSR1
	wait_for 20 size_at_least "$T/out" 300000
	kill -USR1 "$tpid"
	check "SIGUSR1, -L 3MB --engine=$eng: a status line appears" wait_for 10 lines_at_least "$T/err" 1
	wait_exit "$tpid" 30
	status_is 0 "$status" "SIGUSR1, -L 3MB --engine=$eng: the transfer goes on" "$T/err"
	same_file "$T/out" "$F3" "SIGUSR1, -L 3MB --engine=$eng"
	n=$(sed -nE 's/^tpipe: job: .* \(([0-9]+) bytes\) in [0-9.]+ s, .*\/s, [0-9]+%, ring [0-9]+\/[0-9]+ full$/\1/p' "$T/err")
	if [ "$(wc -l <"$T/err")" = 1 ] && [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 3000000 ]; then
		pass "SIGUSR1, -L 3MB --engine=$eng: one line 'tpipe: job: ... (N bytes) in S s, RATE/s, P%, ring U/D full', mid-way (N=$n)"
	else
		_show_err
		fail "SIGUSR1, -L 3MB --engine=$eng: one status line, mid-way"
	fi
done

finish
