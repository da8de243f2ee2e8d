#!/bin/bash
# Erasure codes (--fec): through pipes and files of every size, a file with frames destroyed
# in the middle, UDP through a relay that drops and corrupts datagrams by seed (repaired,
# byte-exact), a loss the code cannot cover (status 3, a verified prefix, the hint), --fec
# with --repeat, --explain and --stats, and the usage errors.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# ---- pipes and files: every size -----------------------------------------------------
for size in 0 1 1403 1404 100000 $((3 * MiB + 17)); do
	want=$(pattern_file "$size")
	run bash -c "set -o pipefail; \"$TPIPE\" --fec 32+8 <\"$want\" | \"$TPIPE\" -D --stats=json >\"$T/pipe.out\""
	expect_status 0 "--fec 32+8 | -D, $size bytes"
	same_file "$T/pipe.out" "$want" "--fec 32+8 | -D, $size bytes"
	check "$size bytes: the digest was verified" grep -q '"digest_ok":true' "$T/err"
done
for code in 1+1 4+2 16+4 200+56; do
	want=$(pattern_file $((700 * 1000)))
	run bash -c "set -o pipefail; \"$TPIPE\" --fec $code --frame-size 1000 <\"$want\" | \"$TPIPE\" -D >\"$T/pipe.out\""
	expect_status 0 "--fec $code, 1000-byte frames"
	same_file "$T/pipe.out" "$want" "--fec $code, 1000-byte frames"
done

# A framed file with a frame's worth of bytes destroyed in its middle: rebuilt.
want=$(pattern_file $((2 * MiB)))
tp --fec 16+4 --stats=json -o "$T/f.tpf" "$want"
expect_status 0 "--fec 16+4 into a file"
check "the sender counts its parity frames" [ "$(json_num parity_frames "$T/err")" -gt 0 ]
dd if=/dev/zero of="$T/f.tpf" bs=1 seek=$((1 * MiB)) count=70000 conv=notrunc status=none
tp -D --stats=json -o "$T/f.out" "$T/f.tpf"
expect_status 0 "-D of a damaged --fec file"
same_file "$T/f.out" "$want" "a damaged --fec file, repaired"
check "frames were repaired" [ "$(json_num fec_repaired "$T/err")" -ge 1 ]
check "no group left unrepaired" [ "$(json_num fec_unrepaired "$T/err")" = 0 ]
check "no rebuilt frame failed its check" [ "$(json_num fec_bad "$T/err")" = 0 ]
# The same damage without --fec: lost, status 3.
tp -F -o "$T/n.tpf" "$want"
dd if=/dev/zero of="$T/n.tpf" bs=1 seek=$((1 * MiB)) count=70000 conv=notrunc status=none
tp -D -o "$T/n.out" "$T/n.tpf"
expect_status 3 "the same damage without --fec"

want=$(pattern_file $((8 * MiB)))
for seed in 1 2; do
	udp_receiver lossy$seed -D --stats=json --idle-timeout 3 udp://127.0.0.1:0
	udp_relay lossy$seed --seed "$seed" --drop 0.02 --corrupt 0.01
	tp --fec 32+8 -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
	expect_status 0 "--fec 32+8 into a relay dropping 2 %, corrupting 1 % (seed $seed)"
	wait_exit "$rx_pid" 60
	expect_status 0 "the receiver of a 2 %/1 % lossy link (seed $seed)"
	same_file "$T/lossy$seed.out" "$want" "a 2 %/1 % lossy link repaired (seed $seed)"
	check "seed $seed: frames repaired" [ "$(json_num fec_repaired "$T/lossy$seed.err")" -gt 0 ]
	check "seed $seed: nothing lost" [ "$(json_num lost_frames "$T/lossy$seed.err")" = 0 ]
	check "seed $seed: the receiver learnt the code" grep -q '"fec_k":32,"fec_m":8,"fec_depth":8' "$T/lossy$seed.err"
	wait_exit "$relay_pid" 30
done

# Bursts of 8 datagrams in a row: the groups are interleaved 8 deep, so each loses at most one
# or two frames of a burst.
want=$(pattern_file $((8 * MiB)))
udp_receiver burst -D --stats=json --idle-timeout 3 udp://127.0.0.1:0
udp_relay burst --seed 5 --drop 0.024 --burst 8
tp --fec 32+8 -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 60
expect_status 0 "bursts of 8 lost datagrams, 2.4 %"
same_file "$T/burst.out" "$want" "bursts of 8 lost datagrams, repaired"
wait_exit "$relay_pid" 30
d=$(kv dropped "$T/burst.relay")
check "the relay dropped in bursts of 8 ($d)" bash -c '[ "$1" -gt 0 ] && [ $(($1 % 8)) = 0 ]' _ "${d:-0}"

# 30 % lost: beyond the code. Status 3, only a verified prefix, and the hint.
want=$(pattern_file $((2 * MiB)))
udp_receiver heavy -D --idle-timeout 3 udp://127.0.0.1:0
udp_relay heavy --seed 4 --drop 0.3
tp --fec 32+8 -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 60
expect_status 3 "30 % lost"
check "30 % lost: what was written is a prefix of the input" cmp -s "$T/heavy.out" <(head -c "$(file_size "$T/heavy.out")" "$want")
check "30 % lost: the hint names a larger code" grep -Eq '^tpipe: erasure code: .* try --fec 32\+[0-9]+ or a larger --fec-depth$' "$T/heavy.err"
wait_exit "$relay_pid" 30

# --fec with --repeat over the relay: the copies of parity frames are copies too.
udp_receiver rep -D --stats=json --idle-timeout 3 udp://127.0.0.1:0
udp_relay rep --seed 9 --drop 0.05 --reorder 0.01
tp --fec 16+4 --repeat 1 -L 20MB -o "udp://127.0.0.1:$relay_port" <"$want"
wait_exit "$rx_pid" 60
expect_status 0 "--fec 16+4 --repeat 1 over a 5 % lossy link"
same_file "$T/rep.out" "$want" "--fec with --repeat"
wait_exit "$relay_pid" 30

# ---- --explain, --stats ---------------------------------------------------------------
tp --fec 32+8 --explain -o /dev/null </dev/null
check "--explain names the code, the depth and the cost" grep -Eq '^tpipe: fec: 32\+8, depth [0-9]+ .*\+[0-9.]+ % bandwidth$' "$T/err"
tp --fec 32+8 --fec-depth 3 --explain -o udp://127.0.0.1:9 </dev/null
check "--explain: --fec-depth" grep -q 'fec: 32+8, depth 3 (set by --fec-depth)' "$T/err"
check "--fec on udp://: 1404-byte frames, so a parity frame fits the MTU" grep -q 'frame size: 1404 bytes' "$T/err"
tp --fec 32+8 --stats -o /dev/null <"$want"
check "--stats counts the parity frames sent" grep -Eq '^tpipe: fec: 32\+8, depth [0-9]+: [1-9][0-9]* parity frames sent' "$T/err"

# ---- usage errors --------------------------------------------------------------------
for bad in 0+1 4+0 300+300 200+57 4 4+ +2 x+y; do
	tp --fec "$bad" </dev/null
	expect_status 2 "--fec $bad"
	expect_stderr_line '^tpipe: --fec: ' "--fec $bad"
done
tp -D --fec 32+8 </dev/null
expect_status 2 "-D --fec"
expect_stderr_line 'learns the code' "-D --fec"
tp --fec-depth 4 </dev/null
expect_status 2 "--fec-depth without --fec"
expect_stderr_line 'needs --fec' "--fec-depth without --fec"
tp --fec 32+8 --fec-depth 65 </dev/null
expect_status 2 "--fec-depth 65"
tp --fec 8+2 --frame-size 65460 -o udp://127.0.0.1:9 </dev/null
expect_status 2 "--fec on udp:// with frames too big for a parity datagram"
expect_stderr_line 'parity frame' "--fec, too big a datagram"

finish
