#!/bin/bash
# Sealed frames (--key-file) and sessions that cannot be hijacked: sealed round trips through
# pipes and files of every size, with --fec and --repeat; the key file's checks; a wrong key,
# no key, unsealed frames; an attacker on a UDP link (tests/udp-attack) forging frames with
# right CRCs, fresh and live session ids, flipping bits, replaying an earlier run: the output
# stays byte-exact and every forged frame is counted; without a key, a new session cannot
# take over a live one; a frame left over from an earlier run gives way to a whole session;
# --peer; with a key, an earlier run replayed never takes over; --cipher.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
ATTACK=$SRCDIR/tests/udp-attack

command -v python3 >/dev/null || skip_missing python3 "the attacker is a python3 script"

key=$T/key
head -c 32 /dev/urandom >"$key"
chmod 600 "$key"

# ---- round trips -----------------------------------------------------------------------
for size in 0 1 1404 65536 $((3 * MiB + 17)); do
	want=$(pattern_file "$size")
	run bash -c "set -o pipefail; \"$TPIPE\" --key-file \"$key\" <\"$want\" | \"$TPIPE\" -D --key-file \"$key\" --stats=json >\"$T/pipe.out\""
	expect_status 0 "sealed through a pipe, $size bytes"
	same_file "$T/pipe.out" "$want" "sealed through a pipe, $size bytes"
	check "$size bytes: nothing refused as not authentic" grep -q '"sealed":true,"not_authentic":0' "$T/err"
done
want=$(pattern_file $((2 * MiB + 5)))
for extra in "--fec 16+4" "--repeat 1" "--frame-size 1000 --fec 4+2 --repeat 1"; do
	# shellcheck disable=SC2086 # extra is options
	tp --key-file "$key" $extra -o "$T/s.tpf" "$want"
	expect_status 0 "sealed into a file ($extra)"
	tp -D --key-file "$key" -o "$T/s.out" "$T/s.tpf"
	expect_status 0 "sealed file ($extra) received"
	same_file "$T/s.out" "$want" "sealed file ($extra)"
done
check "the sealed stream does not carry the data in the clear" \
	python3 -c "import sys; sys.exit(open(sys.argv[1], 'rb').read()[32:64] in open(sys.argv[2], 'rb').read())" "$want" "$T/s.tpf"
# A damaged sealed --fec file: repaired, the rebuilt frames opened.
tp --key-file "$key" --fec 16+4 -o "$T/f.tpf" "$want"
dd if=/dev/zero of="$T/f.tpf" bs=1 seek=$MiB count=70000 conv=notrunc status=none
tp -D --key-file "$key" --stats=json -o "$T/f.out" "$T/f.tpf"
expect_status 0 "a damaged sealed --fec file"
same_file "$T/f.out" "$want" "a damaged sealed --fec file, repaired"
check "sealed frames were rebuilt" [ "$(json_num fec_repaired "$T/err")" -ge 1 ]
# A hex key is the same key.
xxd -p -c 64 "$key" >"$T/hexkey"
chmod 600 "$T/hexkey"
tp -D --key-file "$T/hexkey" -o "$T/h.out" "$T/s.tpf"
expect_status 0 "the same key as 64 hex digits"
tp --key-file "$key" --explain -o /dev/null </dev/null
check "--explain names the cipher" grep -q "^tpipe: sealing: every frame with XChaCha20-Poly1305 under --key-file (the default;" "$T/err"
# Either cipher by --cipher; the receiver opens both, and says which it saw.
for c in xchacha20-poly1305 aes-256-gcm; do
	[ "$c" = aes-256-gcm ] && ! grep -qw aes /proc/cpuinfo && continue
	tp --key-file "$key" --cipher "$c" --explain -o "$T/c.tpf" "$want"
	expect_status 0 "--cipher $c"
	name=$( [ "$c" = aes-256-gcm ] && echo AES-256-GCM || echo XChaCha20-Poly1305 )
	check "--explain names $name" grep -q "^tpipe: sealing: every frame with $name under --key-file (--cipher;" "$T/err"
	tp -D --key-file "$key" --stats -o "$T/c.out" "$T/c.tpf"
	expect_status 0 "--cipher $c: received"
	same_file "$T/c.out" "$want" "--cipher $c"
	check "the receiver names $name" grep -q "sealed: $name; 0 frames not authentic" "$T/err"
done
check "--explain does not show the key" bash -c '! grep -qiF "$(xxd -p -c 64 "$1")" "$2"' _ "$key" "$T/err"

# ---- no core dump with a key: the run keys are in OpenSSL's memory (src/frames/aead.h) ----
core_limit() { awk '/^Max core file size/ { print $5 }' "/proc/$1/limits" 2>/dev/null; }
# AddressSanitizer sets the soft limit to 0 itself (its disable_coredump): not in these two.
noasan_core=${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0
mkfifo "$T/core.fifo"
(ulimit -S -c "$(ulimit -H -c)" && ASAN_OPTIONS=$noasan_core exec "$TPIPE" -q --key-file "$key" -o /dev/null <"$T/core.fifo") &
core_pid=$!
exec 3>"$T/core.fifo"
check "a keyed tpipe makes no core dump (its soft limit is 0)" wait_for 10 bash -c '[ "$(awk "/^Max core file size/ { print \$5 }" /proc/$1/limits)" = 0 ]' _ "$core_pid"
exec 3>&-
wait "$core_pid"
check "... and ends as usual" [ $? = 0 ]
(ulimit -S -c "$(ulimit -H -c)" && ASAN_OPTIONS=$noasan_core exec "$TPIPE" -q -o /dev/null <"$T/core.fifo") &
core_pid=$!
exec 3>"$T/core.fifo"
want_limit=$(ulimit -H -c)
# Once it is tpipe (past exec and the sanitizers' start), not the subshell before it.
wait_for 10 bash -c '[ "$(readlink "/proc/$1/exe")" = "$(readlink -f "$2")" ]' _ "$core_pid" "$TPIPE"
sleep 0.2
check "without a key the limit is left alone" [ "$(core_limit "$core_pid")" = "$want_limit" ]
exec 3>&-
wait "$core_pid"

# ---- refusals --------------------------------------------------------------------------
tp -D --key-file "$T/none" </dev/null
expect_status 2 "a missing key file"
expect_stderr_line "^tpipe: $T/none: No such file or directory$" "a missing key file"
head -c 31 /dev/urandom >"$T/short" && chmod 600 "$T/short"
tp -D --key-file "$T/short" </dev/null
expect_status 2 "a 31-byte key"
expect_stderr_line "^tpipe: $T/short: not a key: 31 bytes, where a key is 32 raw bytes or 64 hex digits" "a 31-byte key"
head -c 33 /dev/urandom >"$T/long" && chmod 600 "$T/long"
tp --key-file "$T/long" </dev/null
expect_status 2 "a 33-byte key"
cp "$key" "$T/loose" && chmod 640 "$T/loose"
tp -D --key-file "$T/loose" </dev/null
expect_status 2 "a key readable by the group"
expect_stderr_line "^tpipe: $T/loose: permissions 0640 are too open: others than its owner may read it \\(chmod 600 it\\)$" "loose permissions"
cp "$key" "$T/writable" && chmod 602 "$T/writable"
tp -D --key-file "$T/writable" </dev/null
expect_status 2 "a key others may write"
tp -D --key-file "$T" </dev/null
expect_status 2 "a directory as key file"

other=$T/other
head -c 32 /dev/urandom >"$other" && chmod 600 "$other"
tp -D --key-file "$other" -o "$T/w.out" "$T/s.tpf"
expect_status 3 "a wrong key"
check "a wrong key: nothing written" [ "$(file_size "$T/w.out")" = 0 ]
expect_stderr_line "^tpipe: $T/s.tpf: none of the [0-9]+ frames authenticated under --key-file \\(the sender's key is another, or it sends unsealed frames\\); nothing written$" "a wrong key"
check "a wrong key: one line" [ "$(wc -l <"$T/err")" = 1 ]
tp -D -o "$T/n.out" "$T/s.tpf"
expect_status 3 "sealed frames and no key"
expect_stderr_line "^tpipe: $T/s.tpf: frames are encrypted: give --key-file$" "no key"
check "no key: one line" [ "$(wc -l <"$T/err")" = 1 ]
check "no key: nothing written" [ "$(file_size "$T/n.out")" = 0 ]
tp -F -o "$T/plain.tpf" "$want"
tp -D --key-file "$key" -o "$T/u.out" "$T/plain.tpf"
expect_status 3 "unsealed frames to a receiver with a key"
check "unsealed frames: nothing written" [ "$(file_size "$T/u.out")" = 0 ]
tp --peer 127.0.0.1 </dev/null
expect_status 2 "--peer without a udp:// input"
tp --key-file "$key" --cipher rot13 </dev/null
expect_status 2 "an unknown --cipher"
expect_stderr_line "^tpipe: --cipher: 'rot13' is not one of xchacha20-poly1305, aes-256-gcm$" "an unknown --cipher"
tp --cipher aes-256-gcm </dev/null
expect_status 2 "--cipher without --key-file"
tp -D --key-file "$key" --cipher xchacha20-poly1305 </dev/null
expect_status 2 "--cipher at a receiver"
# Sealed frames, then unsealed ones, to a receiver without a key: it stops at the first
# sealed frame and writes nothing of what follows.
tp --key-file "$key" -o "$T/small.tpf" "$(pattern_file 1000)"
cat "$T/small.tpf" "$T/plain.tpf" >"$T/mixed.tpf"
tp -D -o "$T/m.out" "$T/mixed.tpf"
expect_status 3 "sealed, then unsealed frames, and no key"
expect_stderr_line "^tpipe: $T/mixed.tpf: frames are encrypted: give --key-file$" "sealed, then unsealed, no key"
check "sealed, then unsealed, no key: nothing written" [ "$(file_size "$T/m.out")" = 0 ]

# ---- without a key: a live session is not taken over; a stray frame gives way -----------
# A frame of an earlier run in the middle of its stream, then a whole run: the run comes out.
a=$(pattern_file 3000)
tp -F --frame-size 100 -o "$T/a.tpf" "$a"
b=$(pattern_file 5000)
tp -F --frame-size 100 -o "$T/b.tpf" "$b"
python3 - "$T/a.tpf" "$T/stray.tpf" <<'EOF'
import sys
segs = [s for s in open(sys.argv[1], "rb").read().split(b"\0") if s]
open(sys.argv[2], "wb").write(b"\0" + segs[len(segs) // 2] + b"\0")
EOF
cat "$T/stray.tpf" "$T/b.tpf" >"$T/sb.tpf"
for gap in stop skip zero; do
	tp -D --on-gap=$gap --stats=json -o "$T/sb.out" "$T/sb.tpf"
	expect_status 0 "a stray frame before a whole run (--on-gap=$gap)"
	same_file "$T/sb.out" "$b" "a stray frame gives way (--on-gap=$gap)"
	check "the stray frame is counted (--on-gap=$gap)" [ "$(json_num stray "$T/err")" = 1 ]
done

# ---- with a key: an earlier run replayed never takes over -------------------------------
# Run A is recorded, then run B starts; B's META, the whole of A, then the rest of B: B has
# begun and written nothing when A shows its start, and still A is refused as a replay.
tp --key-file "$key" --frame-size 100 -o "$T/ka.tpf" "$a"
tp --key-file "$key" --frame-size 100 -o "$T/kb.tpf" "$b"
python3 - "$T/ka.tpf" "$T/kb.tpf" "$T/replay.tpf" <<'EOF'
import sys
a = open(sys.argv[1], "rb").read()
segs = [s for s in open(sys.argv[2], "rb").read().split(b"\0") if s]
out = b"\0" + segs[0] + b"\0" + a + b"\0" + b"\0".join(segs[1:]) + b"\0"
open(sys.argv[3], "wb").write(out)
EOF
for gap in stop skip; do
	tp -D --key-file "$key" --on-gap=$gap --stats=json -o "$T/replay.out" "$T/replay.tpf"
	expect_status 0 "an earlier run replayed into a run that has begun (--on-gap=$gap)"
	same_file "$T/replay.out" "$b" "the replay did not take over (--on-gap=$gap)"
	check "the replayed frames were counted (--on-gap=$gap)" [ "$(json_num replayed "$T/err")" -ge 30 ]
	check "the replay was said (--on-gap=$gap)" grep -q '^tpipe: frames of an earlier run: session [0-9a-f]* began before [0-9a-f]* by its sender.s clock: a replay, ignored (see --stats)$' "$T/err"
done

# A sender killed mid-transfer (no END) and started again after the quiet time: the new run
# takes over at its first frame (a restart), and none of it is lost. The quiet time runs from
# the old run's last frame, not from the new run's first.
udp_receiver restart -D --on-gap=skip --stats=json --idle-timeout 30 udp://127.0.0.1:0
"$TPIPE" -q -F -L 200K -o "udp://127.0.0.1:$rx_port" "$(pattern_file $((2 * MiB)))" &
a_pid=$!
track "$a_pid"
sleep 1
kill -KILL "$a_pid"
wait_exit "$a_pid" 10 2>/dev/null # (the shell's "Killed")
sleep 4
nb=$(file_size "$b")
tp -F -L 5MB -o "udp://127.0.0.1:$rx_port" "$b"
wait_exit "$rx_pid" 60
expect_status 3 "a sender restarted after a pause (the first run's tail is lost)"
check "the restarted run came out whole" cmp -s <(tail -c "$nb" "$T/restart.out") "$b"
check "one restart, no frame ignored" \
	[ "$(json_num restarts "$T/restart.err"),$(json_num other_session "$T/restart.err")" = 1,0 ]
check "the restart was said" grep -q '^tpipe: sender restarted: new session' "$T/restart.err"

attacker() {
	local name=$1
	shift
	python3 "$ATTACK" proxy --port-file "$T/$name.port" --to "127.0.0.1:$rx_port" \
		--stats "$T/$name.attack" "$@" &
	attack_pid=$!
	track "$attack_pid"
	wait_for 10 test -s "$T/$name.port" || fail "$name: the attacker did not start"
	attack_port=$(cat "$T/$name.port")
}

# A recording of an earlier sealed run, under the same key, to replay.
python3 "$ATTACK" capture --port-file "$T/cap.port" --out "$T/earlier.rec" --idle-ms 1500 &
cap_pid=$!
track "$cap_pid"
wait_for 10 test -s "$T/cap.port" || fail "the capture did not start"
tp --key-file "$key" -L 5MB -o "udp://127.0.0.1:$(cat "$T/cap.port")" "$(pattern_file $((400 * 1000)))"
wait_exit "$cap_pid" 30
check "an earlier run was recorded" size_at_least "$T/earlier.rec" 400000

want=$(pattern_file $((4 * MiB)))
udp_receiver sealed -D --key-file "$key" --stats=json --idle-timeout 3 udp://127.0.0.1:0
attacker sealed --forge --replay "$T/earlier.rec"
tp --key-file "$key" -L 5MB -o "udp://127.0.0.1:$attack_port" "$want"
expect_status 0 "a sealed sender through the attacker"
wait_exit "$rx_pid" 60
expect_status 0 "the sealed receiver under attack"
same_file "$T/sealed.out" "$want" "sealed, under attack: byte-exact"
wait_exit "$attack_pid" 30
forged=$(kv forged "$T/sealed.attack")
replayed=$(kv replayed "$T/sealed.attack")
check "the attacker forged frames ($forged) and replayed some ($replayed)" \
	bash -c '[ "$1" -gt 100 ] && [ "$2" -gt 10 ]' _ "${forged:-0}" "${replayed:-0}"
check "every forged frame was counted as not authentic" \
	[ "$(json_num not_authentic "$T/sealed.err")" = "$forged" ]
check "every replayed frame was counted as replayed" \
	[ "$(json_num replayed "$T/sealed.err")" = "$replayed" ]
check "no restart, no loss" grep -q '"lost_frames":0,.*"restarts":0,' "$T/sealed.err"
check "the attack was said as it came" grep -q 'frames not authentic, dropped' "$T/sealed.err"

# Without a key: frames of a new session with right CRCs, and an earlier run replayed, while a
# transfer is live: ignored and counted, the transfer whole.
python3 "$ATTACK" capture --port-file "$T/cap2.port" --out "$T/earlier2.rec" --idle-ms 1500 &
cap_pid=$!
track "$cap_pid"
wait_for 10 test -s "$T/cap2.port" || fail "the capture did not start"
tp -F -L 5MB -o "udp://127.0.0.1:$(cat "$T/cap2.port")" "$(pattern_file $((400 * 1000)))"
wait_exit "$cap_pid" 30
for gap in stop skip; do
	udp_receiver plain$gap -D --on-gap=$gap --stats=json --idle-timeout 3 udp://127.0.0.1:0
	attacker plain$gap --forge --unsealed-only --replay "$T/earlier2.rec"
	tp -F -L 5MB -o "udp://127.0.0.1:$attack_port" "$want"
	wait_exit "$rx_pid" 60
	expect_status 0 "no key, another session injected (--on-gap=$gap)"
	same_file "$T/plain$gap.out" "$want" "no key: a live session is not taken over (--on-gap=$gap)"
	wait_exit "$attack_pid" 30
	n=$(( $(kv forged "$T/plain$gap.attack") + $(kv replayed "$T/plain$gap.attack") ))
	check "no key: every injected frame was counted (--on-gap=$gap)" \
		[ "$(json_num other_session "$T/plain$gap.err")" = "$n" ]
	check "no key: the first such frame was said (--on-gap=$gap)" \
		grep -q '^tpipe: frames of another session: session [0-9a-f]* while [0-9a-f]* is live: ignored (see --stats)$' "$T/plain$gap.err"
done

# Sealed with --fec through a relay that drops and corrupts: repaired, opened, byte-exact.
udp_receiver lossy -D --key-file "$key" --stats=json --idle-timeout 3 udp://127.0.0.1:0
udp_relay lossy --seed 3 --drop 0.02 --corrupt 0.01
tp --key-file "$key" --fec 16+4 --explain -L 5MB -o "udp://127.0.0.1:$relay_port" "$want"
expect_status 0 "sealed --fec into a lossy relay"
check "sealed --fec on udp://: 1324-byte frames, so that a sealed parity frame fits 1472 bytes" \
	grep -q '^tpipe: frame size: 1324 bytes' "$T/err"
wait_exit "$rx_pid" 60
expect_status 0 "sealed --fec through a lossy relay"
same_file "$T/lossy.out" "$want" "sealed --fec, 2 % dropped and 1 % corrupted: repaired"
check "sealed --fec: frames were rebuilt" [ "$(json_num fec_repaired "$T/lossy.err")" -gt 0 ]
wait_exit "$relay_pid" 30

# --peer HOST:PORT: the socket is connected, the attacker's datagrams (from another port)
# never arrive. The proxy's port is picked first, so that the receiver can be told it.
proxy_port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
udp_receiver peer2 -D --key-file "$key" --stats=json --idle-timeout 3 --peer "127.0.0.1:$proxy_port" udp://127.0.0.1:0
check "--explain names the peer" grep -q "^tpipe: peer: datagrams from 127.0.0.1:$proxy_port only$" "$T/peer2.err"
python3 "$ATTACK" proxy --port-file "$T/peer2.port" --to "127.0.0.1:$rx_port" --stats "$T/peer2.attack" \
	--forge --from-other --bind-port "$proxy_port" &
attack_pid=$!
track "$attack_pid"
wait_for 10 test -s "$T/peer2.port" || fail "peer2: the attacker did not start"
tp --key-file "$key" -L 5MB -o "udp://127.0.0.1:$(cat "$T/peer2.port")" "$want"
wait_exit "$rx_pid" 60
expect_status 0 "--peer HOST:PORT under attack"
same_file "$T/peer2.out" "$want" "--peer HOST:PORT: byte-exact"
check "--peer HOST:PORT: the kernel kept every forged datagram out" \
	grep -q '"not_authentic":0' "$T/peer2.err"
wait_exit "$attack_pid" 30

# --peer HOST: another address's datagrams are dropped and counted.
udp_receiver peer3 -D --key-file "$key" --stats=json --idle-timeout 3 --peer 127.0.0.1 udp://127.0.0.1:0
attacker peer3 --forge --from-addr 127.0.0.2
tp --key-file "$key" -L 5MB -o "udp://127.0.0.1:$attack_port" "$want"
wait_exit "$rx_pid" 60
expect_status 0 "--peer HOST under attack from another address"
same_file "$T/peer3.out" "$want" "--peer HOST: byte-exact"
wait_exit "$attack_pid" 30
check "--peer HOST: the other address's datagrams were dropped and counted" \
	[ "$(json_num foreign_datagrams "$T/peer3.err")" = "$(kv forged "$T/peer3.attack")" ]

finish
