#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The network device end to end (docs/interfaces.md, "Network"): hipcd
# makes the host's TAP, hipc-fw-netpeer runs the island's in a network
# namespace of its own, and real programs (ping, socat, ptp4l, a raw
# socket) use them.
#
#   net_test.sh BUILD_DIR CASE
#
# Needs root (TAPs, namespaces).  Every case uses interface names with its
# own pid in them and a subnet of its own, so cases run in parallel; and
# removes what it made (daemon, namespaces, helpers) however it ends.
set -u
# Every background job its own process group, so cleanup ends a helper
# and whatever it started (a socat under sh, under ip netns exec).
set -m

B=$(cd "$1" && pwd)
CASE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
HIPCD=$B/tools/hipcd/hipcd
HIPCCTL=$B/tools/hipcctl/hipcctl
NETPEER=$B/firmware/netpeer/hipc-fw-netpeer
NETPEER512=$B/firmware/netpeer/hipc-fw-netpeer-512
FRAMES=$HERE/frames.py
# Debian's python3 (scripts/deps.sh) rather than a version manager's shim,
# which costs a second per start.
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

ID=$(printf '%04x' $(($$ % 65536)))
TAP=hn$ID                 # the host's TAP (NAME.VID with VLANs)
NS1=hipc-net-$ID-a        # the islands' namespaces (/run/netns)
NS2=hipc-net-$ID-b
D=
HIPCD_PID=
HELPERS=()

fail() {
	local r
	echo "FAIL: $*"
	[ -n "${FAILING:-}" ] && exit 1
	FAILING=1
	[ -n "$D" ] && [ -S "$D/run/hipcd.sock" ] && ctl stats
	# The islands' own counters too: a frame dropped on their side shows
	# only there.
	if [ -n "$D" ] && [ -S "$D/run/hipcd.sock" ]; then
		for r in $(ctl stats | awk '$2 == "rpmsg-net" { print $1 }' | sort -u); do
			[ -n "$(fw_pid "$r")" ] && fw_dump "$r" | grep "netpeer: "
		done
	fi
	[ -n "$D" ] && [ -f "$D/hipcd.log" ] && { echo "--- hipcd log:"; tail -40 "$D/hipcd.log"; }
	exit 1
}

cleanup() {
	local p
	for p in "${HELPERS[@]}"; do
		kill -- -"$p" 2>/dev/null
	done
	if [ -n "$HIPCD_PID" ] && kill -0 "$HIPCD_PID" 2>/dev/null; then
		kill -CONT "$HIPCD_PID" 2>/dev/null
		kill -TERM "$HIPCD_PID"
		for _ in $(seq 100); do
			kill -0 "$HIPCD_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$HIPCD_PID" 2>/dev/null
	fi
	for p in "${HELPERS[@]}"; do
		kill -KILL -- -"$p" 2>/dev/null
	done
	# The islands unpublish their namespaces when they stop cleanly; not
	# when they were killed.
	for p in "$NS1" "$NS2"; do
		[ -e "/run/netns/$p" ] && ip netns del "$p" 2>/dev/null
	done
	[ -n "$D" ] && rm -rf "$D"
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || fail "needs root (TAP interfaces, network namespaces)"

ctl() { HIPC_RUN_DIR=$D/run "$HIPCCTL" "$@"; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds, or fail.
wait_for() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) + t * 1000000000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
}

# hipcd on a configuration of [sections] given on stdin.
start_hipcd() {
	D=$(mktemp -d /tmp/hipc-net-XXXXXX)
	chmod 700 "$D"
	mkdir -m 700 "$D/run"
	cat > "$D/hipcd.conf"
	"$HIPCD" -c "$D/hipcd.conf" -r "$D/run" > "$D/hipcd.log" 2>&1 &
	HIPCD_PID=$!
	wait_for 10 test -S "$D/run/hipcd.sock" || fail "hipcd did not start"
}

# The "rpmsg-net" line of hipcctl stats REMOTE, and one counter of it.
net_line() { ctl stats "$1" | grep " rpmsg-net net "; }
net_stat() { net_line "$1" | tr ' ' '\n' | grep -A1 -x "$2" | tail -1; }
carrier() { cat "/sys/class/net/$1/carrier" 2>/dev/null; }
link_up() { [ "$(carrier "$1")" = 1 ]; }
fw_pid() { ctl status "$1" | awk '$1 == "pid" { print $2 }'; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# The island's counters, through its trace: SIGUSR1, then the lines after
# the next "netpeer: stats N".  fw_stat REMOTE IFNAME KEY
fw_dump() {
	local r=$1 pid n
	pid=$(fw_pid "$r")
	n=$(ctl trace "$r" | grep -c "netpeer: stats ")
	kill -USR1 "$pid"
	wait_for 5 sh -c "[ \$(HIPC_RUN_DIR=$D/run $HIPCCTL trace $r | grep -c 'netpeer: stats ') -gt $n ]" ||
		fail "$r: no counters in its trace"
	ctl trace "$r" | awk '/netpeer: stats /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}'
}
fw_stat() {
	fw_dump "$1" | grep "netpeer: $2 " | tr ' ' '\n' | grep "^$3=" | cut -d= -f2 | head -1
}
# A counter of the island's link (rx_errors, rx_bad_tag, ...).
fw_link_stat() {
	fw_dump "$1" | grep -o " $2=[0-9]*" | cut -d= -f2 | head -1
}

# stat_reaches SECONDS REMOTE COUNTER VALUE: until hipcctl stats shows the
# rpmsg-net COUNTER at VALUE or more; nonzero if SECONDS pass first.
stat_reaches() {
	wait_for "$1" sh -c "[ \$(HIPC_RUN_DIR=$D/run $HIPCCTL stats $2 | tr ' ' '\n' | grep -A1 -x $3 | tail -1) -ge $4 ]"
}

# The MTU of a host interface, or of one in a namespace, is (or becomes:
# fragments are agreed on just after the link comes up) VALUE.
mtu_is() { [ "$(cat /sys/class/net/$1/mtu 2>/dev/null)" = "$2" ]; }
ns_mtu_is() { [ "$(in_ns "$1" cat /sys/class/net/$2/mtu 2>/dev/null)" = "$3" ]; }
# With 2048-byte buffers: 32 pieces of 2024 bytes, less the link header.
FRAG_MTU=$((32 * 2024 - 14))

# The island's TAP has its carrier once the host said hello.
island_up() { in_ns "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null | grep -qx 1; }

# capture NS|"" IFNAME MAGIC EXPECT NAME [MINLEN]: count MAGIC frames (of
# MINLEN bytes or more) on IFNAME into $D/NAME, in the background, until
# EXPECT are seen (0: until stopped).
capture() {
	local ns=$1 ifc=$2 magic=$3 expect=$4 name=$5 minlen=${6:-0}
	if [ -n "$ns" ]; then
		ip netns exec "$ns" $PY "$FRAMES" count "$ifc" "$magic" "$expect" "$D/$name.stop" 60 $minlen \
			> "$D/$name" 2> "$D/$name.ready" &
	else
		$PY "$FRAMES" count "$ifc" "$magic" "$expect" "$D/$name.stop" 60 $minlen \
			> "$D/$name" 2> "$D/$name.ready" &
	fi
	HELPERS+=($!)
}
captures_ready() {
	local n
	for n in "$@"; do
		wait_for 30 grep -q ready "$D/$n.ready" || fail "capture $n not ready"
	done
}
# captures_done MUST_FINISH... -- TO_STOP...: the first ones finish on
# their own; then the others are stopped (a moment later, for anything
# still on its way).
captures_done() {
	local n
	while [ "$1" != -- ]; do
		wait_for 20 test -s "$D/$1" || fail "capture $1 saw too few"
		shift
	done
	shift
	sleep 0.2
	for n in "$@"; do
		touch "$D/$n.stop"
	done
	for n in "$@"; do
		wait_for 10 test -s "$D/$n" || fail "capture $n did not stop"
	done
}

# ping_ok [in_ns NS] ping -c COUNT -w DEADLINE ...: probes 1 to COUNT all
# answered, once each.  Not ping's "0% packet loss": with -w, ping sends
# until COUNT replies have come and stops there, and a probe still in
# flight then counts as lost.  -A sends the next probe once the average
# round trip has passed (10 ms with sub-millisecond ones), answered or
# not, so on a loaded machine one late reply puts a second probe in
# flight, and when that happens at the end ping reports "11 packets
# transmitted, 10 received" although nothing was lost.  A frame really
# lost still fails: ping sends another in its place, and its sequence
# number is missing from the replies.  Pings of frames in pieces use
# -i 0.2 rather than -A: a few probes in flight, not a burst of 64 KiB
# frames that may fill the ring (dropped and counted, by design).
ping_ok() {
	local out count=0 prev= a n missing=
	for a in "$@"; do
		[ "$prev" = -c ] && count=$a
		prev=$a
	done
	out=$("$@" 2>&1)
	echo "$out" | tail -2
	[ "$count" -gt 0 ] || { echo "ping_ok: no -c COUNT"; return 1; }
	# Anything but a clean reply: a duplicate, a corrupted or
	# truncated one, an error from ping.
	if echo "$out" | grep -E "DUP!|duplicates|BAD CHECKSUM|corrupted|truncated|wrong data|errors|ping: "; then
		return 1
	fi
	for n in $(seq "$count"); do
		echo "$out" | grep -q " icmp_seq=$n " || missing="$missing $n"
	done
	if [ -n "$missing" ]; then
		echo "no reply to icmp_seq$missing"
		return 1
	fi
	return 0
}

one_island() { # one_island FIRMWARE "ARGS" [extra config lines]
	start_hipcd <<EOF
[isl]
firmware = $1
args = --netns $NS1 $2
net_name = $TAP
policy = restart
backoff_ms = 10
${3:-}
EOF
	wait_for 10 link_up "${WAIT_IF:-$TAP}" || fail "${WAIT_IF:-$TAP} never got its carrier"
}

case_ping() {
	local net=10.201.1
	one_island "$NETPEER" "--ip $net.2/24"
	ip addr add $net.1/24 dev "$TAP"
	# Both ends reassemble fragments: the MTU agreed on, not one buffer's.
	wait_for 10 mtu_is "$TAP" $FRAG_MTU || fail "host MTU $(cat /sys/class/net/$TAP/mtu), not $FRAG_MTU"
	wait_for 10 ns_mtu_is $NS1 eth0 $FRAG_MTU || fail "island MTU not $FRAG_MTU"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 100 -w 30 -A -W 2 $net.2 || fail "host -> island ping lost packets"
	ping_ok in_ns $NS1 ping -c 100 -w 30 -A -W 2 $net.1 || fail "island -> host ping lost packets"
	# A frame of one buffer, and full-sized frames (32 pieces), each way.
	ping_ok ping -c 10 -w 30 -A -M do -s $((2018 - 28)) $net.2 || fail "one-buffer ping"
	ping_ok ping -c 10 -w 30 -i 0.2 -M do -s $((FRAG_MTU - 28)) $net.2 || fail "MTU-sized ping"
	ping_ok in_ns $NS1 ping -c 10 -w 30 -i 0.2 -M do -s $((FRAG_MTU - 28)) $net.1 || fail "MTU-sized ping back"
	ping -c 1 -M do -s $((FRAG_MTU - 27)) $net.2 > /dev/null 2>&1 && fail "a packet over the MTU went out unfragmented"
	net_line isl
	[ "$(net_stat isl rx_errors)" = 0 ] || fail "rx_errors"
	[ "$(net_stat isl rx_frag_errors)" = 0 ] || fail "rx_frag_errors"
	[ "$(net_stat isl rx_frag_frames)" -ge 10 ] || fail "fewer than 10 frames reassembled"
	[ "$(fw_dump isl | grep -o 'rx_frag_frames=[0-9]*' | cut -d= -f2)" -ge 10 ] ||
		fail "the island reassembled fewer than 10 frames"
	[ "$(net_stat isl tx_packets)" -ge 210 ] || fail "tx_packets below 210"
	ctl services isl | grep -q " net  *$TAP\$" || fail "hipcctl services does not name $TAP"
	# The same counters as JSON.
	ctl stats isl --json | $PY -c '
import json, sys
net = [i for r in json.load(sys.stdin) for i in r["interfaces"] if i["kind"] == "net"]
assert net and net[0]["counters"]["rx_packets"] >= 200, net' || fail "hipcctl stats --json"
}

# The 512-byte build without fragments (--max-mtu 0, as an island that
# predates them): MTU 482, and a frame of exactly that fits.
case_small_mtu() {
	local net=10.201.2
	one_island "$NETPEER512" "--ip $net.2/24 --max-mtu 0"
	ip addr add $net.1/24 dev "$TAP"
	[ "$(cat /sys/class/net/$TAP/mtu)" = 482 ] || fail "host MTU $(cat /sys/class/net/$TAP/mtu), not 482"
	[ "$(in_ns $NS1 cat /sys/class/net/eth0/mtu)" = 482 ] || fail "island MTU not 482"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 50 -w 30 -A -M do -s $((482 - 28)) $net.2 || fail "482-byte ping"
	ping -c 1 -M do -s $((483 - 28)) $net.2 > /dev/null 2>&1 && fail "a 483-byte packet went out unfragmented"
	# TCP segments itself to the small MTU.
	in_ns $NS1 socat -u TCP-LISTEN:5002,reuseaddr - > "$D/rx" &
	HELPERS+=($!)
	wait_for 5 in_ns $NS1 sh -c "ss -ltn | grep -q :5002" || fail "listener"
	head -c 5000000 /dev/urandom > "$D/tx"
	timeout 60 socat -u "$D/tx" TCP:$net.2:5002 || fail "socat send"
	wait_for 10 sh -c "[ \$(stat -c %s $D/rx) -eq 5000000 ]" || fail "short receive"
	cmp "$D/tx" "$D/rx" || fail "data differ"
	net_line isl
	# Our CAPS went unanswered: still one buffer's MTU on both ends.
	mtu_is "$TAP" 482 || fail "host MTU changed without an answer"
	ns_mtu_is $NS1 eth0 482 || fail "island MTU changed"
	[ "$(net_stat isl rx_frag_frames)" = 0 ] || fail "fragments from an island without them"
}

# Fragments agreed on, or not: the 512-byte build reassembles 32 pieces of
# 488 bytes (MTU 15602); a host configured without fragments (net_frag =
# no, as a hipcd that predates them) leaves the island at one buffer's.
case_frag() {
	local net=10.201.11 mtu512=$((32 * 488 - 14))
	one_island "$NETPEER512" "--ip $net.2/24"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 10 mtu_is "$TAP" $mtu512 || fail "host MTU $(cat /sys/class/net/$TAP/mtu), not $mtu512"
	wait_for 10 ns_mtu_is $NS1 eth0 $mtu512 || fail "island MTU not $mtu512"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 10 -w 30 -i 0.2 -M do -s $((mtu512 - 28)) $net.2 || fail "MTU-sized ping"
	ping_ok in_ns $NS1 ping -c 10 -w 30 -i 0.2 -M do -s $((mtu512 - 28)) $net.1 || fail "MTU-sized ping back"
	in_ns $NS1 socat -u TCP-LISTEN:5011,reuseaddr - > "$D/rx" &
	HELPERS+=($!)
	wait_for 5 in_ns $NS1 sh -c "ss -ltn | grep -q :5011" || fail "listener"
	head -c 5000000 /dev/urandom > "$D/tx"
	timeout 60 socat -u "$D/tx" TCP:$net.2:5011 || fail "socat send"
	wait_for 10 sh -c "[ \$(stat -c %s $D/rx) -eq 5000000 ]" || fail "short receive"
	cmp "$D/tx" "$D/rx" || fail "data differ"
	net_line isl
	[ "$(net_stat isl rx_frag_errors)" = 0 ] || fail "rx_frag_errors"
	[ "$(fw_dump isl | grep -o 'rx_frag_errors=[0-9]*' | cut -d= -f2)" = 0 ] ||
		fail "the island refused pieces"
	finish

	# The host says nothing of fragments: both stay at one buffer's MTU.
	rm -rf "$D"
	one_island "$NETPEER" "--ip $net.2/24" "net_frag = no"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 10 -w 30 -A -M do -s $((2018 - 28)) $net.2 || fail "one-buffer ping"
	mtu_is "$TAP" 2018 || fail "host MTU $(cat /sys/class/net/$TAP/mtu), not 2018"
	ns_mtu_is $NS1 eth0 2018 || fail "island MTU not 2018"
	ctl trace isl | grep -q "fragments on" && fail "the island turned fragments on"
	net_line isl
}

# 100 MB each way, SHA-256 compared; the rate printed (MB/s).
case_tcp() {
	local net=10.201.3 t0 t1 a b
	one_island "$NETPEER" "--ip $net.2/24"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	head -c 100000000 /dev/urandom > "$D/tx"
	a=$(sha256sum < "$D/tx")

	in_ns $NS1 sh -c "socat -u TCP-LISTEN:5003,reuseaddr - | sha256sum > $D/rx.sum" &
	HELPERS+=($!)
	wait_for 5 in_ns $NS1 sh -c "ss -ltn | grep -q :5003" || fail "listener"
	t0=$(date +%s%N)
	timeout 120 socat -u "$D/tx" TCP:$net.2:5003 || fail "host -> island send"
	wait_for 30 test -s "$D/rx.sum" || fail "island never finished"
	t1=$(date +%s%N)
	b=$(cat "$D/rx.sum")
	[ "$a" = "$b" ] || fail "host -> island: sha256 $a vs $b"
	echo "host -> island: 100 MB in $(((t1 - t0) / 1000000)) ms, $((100000 * 1000000000 / (t1 - t0) / 1000)) MB/s"

	sh -c "socat -u TCP-LISTEN:5003,reuseaddr,bind=$net.1 - | sha256sum > $D/rx2.sum" &
	HELPERS+=($!)
	wait_for 5 sh -c "ss -ltn | grep -q $net.1:5003" || fail "listener"
	t0=$(date +%s%N)
	timeout 120 ip netns exec $NS1 socat -u "$D/tx" TCP:$net.1:5003 || fail "island -> host send"
	wait_for 30 test -s "$D/rx2.sum" || fail "host never finished"
	t1=$(date +%s%N)
	b=$(cat "$D/rx2.sum")
	[ "$a" = "$b" ] || fail "island -> host: sha256 $a vs $b"
	echo "island -> host: 100 MB in $(((t1 - t0) / 1000000)) ms, $((100000 * 1000000000 / (t1 - t0) / 1000)) MB/s"
	net_line isl
	[ "$(net_stat isl rx_errors)" = 0 ] || fail "rx_errors"
	[ "$(net_stat isl rx_frag_errors)" = 0 ] || fail "rx_frag_errors"
	[ "$(net_stat isl rx_frag_frames)" -gt 0 ] || fail "no frame came in pieces"
}

# VLANs 100 and 200 served, the island also on 300 (which the host does
# not serve): tagged on the link, never crossing over.
case_vlan() {
	local c100 c200 h100 h200 before
	# VLAN 100 on 10.210.1.0/24, 200 on 10.210.2.0/24, 300 on .3
	WAIT_IF=$TAP.100 one_island "$NETPEER" "--vlans 100,200,300 --ip 10.210.1.2/24 --ip 10.210.2.2/24 --ip 10.210.3.2/24" \
		"net_vlans = 100,200"
	ip addr add 10.210.1.1/24 dev "$TAP.100"
	ip addr add 10.210.2.1/24 dev "$TAP.200"
	# Fragments carry the tag too: 32 pieces less 18 bytes of link header.
	wait_for 10 mtu_is "$TAP.100" $((FRAG_MTU - 4)) || fail "VLAN MTU $(cat /sys/class/net/$TAP.100/mtu), not $((FRAG_MTU - 4))"
	wait_for 5 island_up $NS1 eth0.100 || fail "island link never up"
	ping_ok ping -c 20 -w 30 -A 10.210.1.2 || fail "VLAN 100 ping"
	ping_ok ping -c 20 -w 30 -A 10.210.2.2 || fail "VLAN 200 ping"
	# Full-sized frames in pieces, each to its own VLAN.
	ping_ok ping -c 5 -w 30 -i 0.2 -M do -s $((FRAG_MTU - 4 - 28)) 10.210.2.2 || fail "VLAN 200 MTU-sized ping"

	# 100 frames into the host's VLAN 100: all reach the island's VLAN
	# 100, none its VLAN 200, none the host's VLAN 200.  The captures
	# that must see nothing stop once the one that must see them all has.
	capture $NS1 eth0.100 M$ID 100 c100
	capture $NS1 eth0.200 M$ID 0 c200
	capture "" "$TAP.200" M$ID 0 h200
	captures_ready c100 c200 h200
	before=$(fw_stat isl eth0.100 rx_tagged)
	$PY "$FRAMES" send "$TAP.100" 100 M$ID
	captures_done c100 -- c200 h200
	c100=$(cat "$D/c100"); c200=$(cat "$D/c200"); h200=$(cat "$D/h200")
	echo "host VLAN 100 -> island: eth0.100 $c100, eth0.200 $c200, host $TAP.200 $h200"
	[ "$c100" = 100 ] && [ "$c200" = 0 ] && [ "$h200" = 0 ] || fail "VLAN 100 frames went astray"
	# Tagged on the wire: the island counted them under VID 100.
	[ $(($(fw_stat isl eth0.100 rx_tagged) - before)) -ge 100 ] || fail "island saw fewer than 100 frames tagged 100"

	# And back: from the island's VLAN 200 to the host's, not its 100.
	capture "" "$TAP.200" B$ID 100 b200
	capture "" "$TAP.100" B$ID 0 b100
	captures_ready b200 b100
	in_ns $NS1 $PY "$FRAMES" send eth0.200 100 B$ID
	captures_done b200 -- b100
	h100=$(cat "$D/b100"); h200=$(cat "$D/b200")
	echo "island VLAN 200 -> host: $TAP.200 $h200, $TAP.100 $h100"
	[ "$h200" = 100 ] && [ "$h100" = 0 ] || fail "VLAN 200 frames went astray"
	[ "$(fw_stat isl eth0.200 tx_tagged)" -ge 100 ] || fail "island sent fewer than 100 frames tagged 200"

	# VLAN 300 is not the host's: every frame dropped and counted.
	capture "" "$TAP.100" V$ID 0 v100
	capture "" "$TAP.200" V$ID 0 v200
	captures_ready v100 v200
	before=$(net_stat isl rx_bad_tag)
	in_ns $NS1 $PY "$FRAMES" send eth0.300 50 V$ID
	wait_for 10 sh -c "[ \$(($before + 50)) -le \$(HIPC_RUN_DIR=$D/run $HIPCCTL stats isl | tr ' ' '\n' | grep -A1 -x rx_bad_tag | tail -1) ]" ||
		fail "VLAN 300 frames not counted as bad tags"
	captures_done -- v100 v200
	[ "$(cat $D/v100)" = 0 ] && [ "$(cat $D/v200)" = 0 ] || fail "a VLAN 300 frame reached the host"
	net_line isl
}

# An island that sends the host what no frame is: dropped, counted, the
# link carries on.  (netpeer.c, send_hostile(): the kinds it sends.)
case_hostile() {
	local e0 t0 f0
	WAIT_IF=$TAP.100 one_island "$NETPEER" "--vlans 100 --ip 10.201.10.2/24 --hostile" "net_vlans = 100"
	ip addr add 10.201.10.1/24 dev "$TAP.100"
	wait_for 5 island_up $NS1 eth0.100 || fail "island link never up"
	ping_ok ping -c 5 -w 30 -A 10.201.10.2 || fail "first ping"
	e0=$(net_stat isl rx_errors)
	t0=$(net_stat isl rx_bad_tag)
	f0=$(net_stat isl rx_frag_errors)
	capture "" "$TAP.100" HOSTILE 0 h
	# One message's payload (2032 bytes) less the tag: the longest frame
	# an island can send is delivered whole.
	capture "" "$TAP.100" LONGEST 1 l 2028
	captures_ready h l
	kill -USR2 "$(fw_pid isl)"
	# Ten messages of 1 to 10 bytes; ten frames without a tag and ten
	# tagged with VLANs not ours (0, 4095, 1 to 8).
	stat_reaches 10 isl rx_errors $((e0 + 10)) || fail "short messages not counted"
	stat_reaches 10 isl rx_bad_tag $((t0 + 20)) || fail "untagged and foreign-tagged frames not counted"
	# Seven bad pieces and a frame given up (send_hostile_frags()).
	stat_reaches 10 isl rx_frag_errors $((f0 + 7)) || fail "bad pieces not counted"
	captures_done l -- h
	[ "$(cat $D/h)" = 0 ] || fail "a malformed frame reached the TAP"
	[ "$(cat $D/l)" = 1 ] || fail "the longest frame did not reach the TAP"
	# One byte more does not leave the island: its core refuses it, as
	# the host's refuses one written into the rings by hand.
	wait_for 5 sh -c "HIPC_RUN_DIR=$D/run $HIPCCTL trace isl | grep -q 'hostile: 2033 bytes: message too long'" ||
		fail "the island sent a message longer than its payload"
	ping_ok ping -c 20 -w 30 -A 10.201.10.2 || fail "ping afterwards"
	ping_ok ping -c 5 -w 30 -i 0.2 -M do -s 30000 10.201.10.2 || fail "big ping afterwards"
	net_line isl
	[ "$(net_stat isl rx_errors)" = $((e0 + 10)) ] || fail "rx_errors $(net_stat isl rx_errors), not $((e0 + 10))"
	[ "$(net_stat isl rx_bad_tag)" = $((t0 + 20)) ] || fail "rx_bad_tag $(net_stat isl rx_bad_tag), not $((t0 + 20))"
	[ "$(net_stat isl rx_frag_errors)" = $((f0 + 7)) ] || fail "rx_frag_errors $(net_stat isl rx_frag_errors), not $((f0 + 7))"
	[ "$(net_stat isl rx_frag_lost)" -ge 1 ] || fail "the frame given up not counted"
}

# Frames of a bad length from the host's own side of the TAP: too short
# for an Ethernet header, or longer than the MTU (frames.py, inject(): how
# they get there).  Dropped and counted as tx_errors, none reaching the
# island, whether hipcd reads them into tx buffers or, with the ring full,
# to drop them; the link carries on.
case_tap_errors() {
	local net=10.201.12 e0 d0 big=$((FRAG_MTU + 14 + 1)) n=0 r pid
	one_island "$NETPEER" "--ip $net.2/24"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 10 mtu_is "$TAP" $FRAG_MTU || fail "host MTU $(cat /sys/class/net/$TAP/mtu), not $FRAG_MTU"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 5 -w 30 -A $net.2 || fail "first ping"
	e0=$(net_stat isl tx_errors)
	# What a packet socket may send: nothing shorter than 14 bytes; 4
	# bytes over the MTU when the EtherType says 802.1Q, which is over
	# what the link takes.
	r=$($PY "$FRAMES" raw "$TAP" 13 88b5)
	[ "$r" = EINVAL ] || fail "a 13-byte frame through a packet socket: $r, not EINVAL"
	r=$($PY "$FRAMES" raw "$TAP" $((big + 3)) 8100)
	[ "$r" = sent ] || fail "an 802.1Q-typed frame of MTU + 18 bytes: $r"
	n=$((n + 1))
	# Anything at all, through tc: 1 and 13 bytes, one byte over the MTU,
	# and more than hipcd reads at once (65,600 bytes).
	r=$($PY "$FRAMES" inject "$TAP" hj$ID 1 13 $big 70000)
	[ "$r" = "sent 4" ] || fail "frames.py inject: $r"
	n=$((n + 4))
	# An MTU raised by hand past what the link carries: the stack sends
	# what hipcd cannot.
	ip link set "$TAP" mtu 65000
	ping -c 1 -W 1 -M do -s $((65000 - 28)) $net.2 > /dev/null 2>&1 && fail "a frame over the link's MTU went through"
	n=$((n + 1))
	ip link set "$TAP" mtu $FRAG_MTU
	stat_reaches 10 isl tx_errors $((e0 + n)) || fail "tx_errors $(net_stat isl tx_errors), not $((e0 + n))"
	# The island stopped and its ring filled (frames dropped for want of
	# a buffer): hipcd reads on to drop, and checks those frames too.
	ip neigh replace $net.2 lladdr "$(in_ns $NS1 cat /sys/class/net/eth0/address)" dev "$TAP"
	d0=$(net_stat isl tx_dropped)
	pid=$(fw_pid isl)
	kill -STOP "$pid"
	$PY "$FRAMES" udp $net.2 9 400 > /dev/null
	stat_reaches 10 isl tx_dropped $((d0 + 1)) || { kill -CONT "$pid"; fail "the ring never filled"; }
	r=$($PY "$FRAMES" inject "$TAP" hj$ID 1 13 $big)
	n=$((n + 3))
	stat_reaches 10 isl tx_errors $((e0 + n)) || { kill -CONT "$pid"; fail "tx_errors $(net_stat isl tx_errors) with the ring full, not $((e0 + n))"; }
	kill -CONT "$pid"
	[ "$r" = "sent 3" ] || fail "frames.py inject: $r"
	ping_ok ping -c 20 -w 30 -A $net.2 || fail "ping afterwards"
	ping_ok ping -c 5 -w 30 -i 0.2 -M do -s $((FRAG_MTU - 28)) $net.2 || fail "MTU-sized ping afterwards"
	net_line isl
	[ "$(net_stat isl tx_errors)" = $((e0 + n)) ] || fail "tx_errors $(net_stat isl tx_errors), not $((e0 + n))"
	# The island saw nothing malformed: none of them went.
	[ "$(fw_link_stat isl rx_errors)" = 0 ] || fail "the island counted rx_errors"
	[ "$(fw_link_stat isl rx_frag_errors)" = 0 ] || fail "the island refused pieces"
}

# CAPS messages hipcd must ignore, the link staying at one buffer's MTU:
# one from an island it sent none to (net_frag = no), then one naming no
# fragment endpoint, from an island that never answered hipcd's (it
# offers no fragments: --max-mtu 0).  Each is followed by ten short
# messages: once those are counted, the CAPS before them was seen.
case_caps() {
	local net=10.201.13 e0 kind
	for kind in caps caps-anon; do
		if [ $kind = caps ]; then
			one_island "$NETPEER" "--ip $net.2/24 --hostile=caps,short" "net_frag = no"
		else
			one_island "$NETPEER" "--ip $net.2/24 --max-mtu 0 --hostile=caps-anon,short"
		fi
		ip addr add $net.1/24 dev "$TAP"
		wait_for 5 island_up $NS1 eth0 || fail "island link never up"
		e0=$(net_stat isl rx_errors)
		kill -USR2 "$(fw_pid isl)"
		stat_reaches 10 isl rx_errors $((e0 + 10)) || fail "$kind: the short messages not counted"
		# Ignored: not an error, no MTU change, nothing said.
		[ "$(net_stat isl rx_errors)" = $((e0 + 10)) ] || fail "$kind: counted as a malformed frame"
		mtu_is "$TAP" 2018 || fail "$kind: host MTU $(cat /sys/class/net/$TAP/mtu), not 2018"
		! grep "hipcd: isl: $TAP: fragments" "$D/hipcd.log" || fail "$kind: hipcd took it"
		ping_ok ping -c 10 -w 30 -A -M do -s $((2018 - 28)) $net.2 || fail "$kind: one-buffer ping afterwards"
		ping -c 1 -W 1 -M do -s $((2019 - 28)) $net.2 > /dev/null 2>&1 && fail "$kind: a packet over 2018 bytes went out"
		net_line isl
		finish
		rm -rf "$D"
	done
	D=
}

# Two islands over static vrings, the host out of the data path.
case_p2p() {
	local net=10.201.5 before_a before_b after_a after_b
	start_hipcd <<EOF
[isla]
firmware = $NETPEER
args = --netns $NS1 --p2p-ip $net.1/24 --mac 02:00:0a:c9:05:00
net_name = ${TAP}a
p2p = islb
policy = restart
backoff_ms = 10

[islb]
firmware = $NETPEER
args = --netns $NS2 --p2p-ip $net.2/24 --mac 02:00:0a:c9:05:10
net_name = ${TAP}b
policy = restart
backoff_ms = 10
EOF
	wait_for 10 island_up $NS1 eth1 || fail "isla's peer link never up"
	wait_for 10 island_up $NS2 eth1 || fail "islb's peer link never up"
	[ "$(in_ns $NS1 cat /sys/class/net/eth1/mtu)" = 2018 ] || fail "peer link MTU not 2018"
	wait_for 5 in_ns $NS1 ping -c 1 -W 1 $net.2 || fail "first ping"
	before_a=$(ctl stats isla | awk '/ device /{print $4 + $6}')
	before_b=$(ctl stats islb | awk '/ device /{print $4 + $6}')
	ping_ok in_ns $NS1 ping -c 100 -w 30 -A -W 2 $net.2 || fail "island to island ping"
	after_a=$(ctl stats isla | awk '/ device /{print $4 + $6}')
	after_b=$(ctl stats islb | awk '/ device /{print $4 + $6}')
	# The ping is 200 frames; what the host's devices carried meanwhile is
	# the islands' own chatter on their host links (IPv6 solicitations).
	echo "host device messages during 200 frames of ping: isla $((after_a - before_a)), islb $((after_b - before_b))"
	[ $((after_a - before_a + after_b - before_b)) -lt 100 ] || fail "the host carried island traffic"
	[ "$(fw_stat isla eth1 rx_packets)" -ge 100 ] || fail "isla's eth1 counted fewer than 100"

	# One island dies: the pair comes back when it restarts.
	kill -KILL "$(fw_pid islb)"
	wait_for 10 sh -c "HIPC_RUN_DIR=$D/run $HIPCCTL status islb | grep -q 'restarts    1'" || fail "islb not restarted"
	wait_for 10 island_up $NS2 eth1 || fail "islb's peer link never came back"
	wait_for 10 in_ns $NS1 ping -c 1 -W 1 $net.2 || fail "no ping after islb restarted"
	ping_ok in_ns $NS1 ping -c 20 -w 30 -A -W 2 $net.2 || fail "ping after restart lost packets"
}

# The island stops servicing its ring: the host drops and counts, never
# blocks; and the other way round.  Both resume by themselves.
case_overload() {
	local net=10.201.6 pid mac sent drops k0 k1
	one_island "$NETPEER" "--ip $net.2/24"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 5 -w 30 -A $net.2 || fail "first ping"
	# No ARP while the island sleeps: the flood is all data.
	mac=$(in_ns $NS1 cat /sys/class/net/eth0/address)
	ip neigh replace $net.2 lladdr "$mac" dev "$TAP"
	pid=$(fw_pid isl)
	# What hipcd does not read in time, the TAP's own queue drops (the
	# kernel counts those): together they are all but a ring's worth.
	k0=$(cat /sys/class/net/$TAP/statistics/tx_dropped)
	kill -STOP "$pid"
	sent=$($PY "$FRAMES" udp $net.2 9 5000)
	# The daemon still answers while the ring is full.
	wait_for 5 ctl stats isl || { kill -CONT "$pid"; fail "hipcd stuck"; }
	drops=$(net_stat isl tx_dropped)
	k1=$(cat /sys/class/net/$TAP/statistics/tx_dropped)
	kill -CONT "$pid"
	echo "island stopped: $sent datagrams sent, host tx_dropped $drops, the TAP's queue dropped $((k1 - k0))"
	[ "$drops" -gt 0 ] && [ $((drops + k1 - k0)) -ge $((sent - 300)) ] ||
		fail "host dropped $drops (+$((k1 - k0))) of $sent with a 256-buffer ring"
	wait_for 10 ping -c 1 -W 1 $net.2 || fail "traffic did not resume"
	ping_ok ping -c 20 -w 30 -A $net.2 || fail "ping after resuming"
	net_line isl

	# The host stops: the island drops and counts.
	mac=$(cat /sys/class/net/$TAP/address)
	in_ns $NS1 ip neigh replace $net.1 lladdr "$mac" dev eth0
	k0=$(in_ns $NS1 cat /sys/class/net/eth0/statistics/tx_dropped)
	kill -STOP "$HIPCD_PID"
	sent=$(in_ns $NS1 $PY "$FRAMES" udp $net.1 9 5000)
	k1=$(in_ns $NS1 cat /sys/class/net/eth0/statistics/tx_dropped)
	kill -CONT "$HIPCD_PID"
	drops=$(fw_stat isl eth0 tx_dropped)
	echo "host stopped: $sent datagrams sent, island tx_dropped $drops, its TAP's queue dropped $((k1 - k0))"
	[ "$drops" -gt 0 ] && [ $((drops + k1 - k0)) -ge $((sent - 300)) ] ||
		fail "island dropped $drops (+$((k1 - k0))) of $sent"
	wait_for 10 in_ns $NS1 ping -c 1 -W 1 $net.1 || fail "traffic did not resume"
	ping_ok in_ns $NS1 ping -c 20 -w 30 -A $net.1 || fail "ping after resuming"
	fw_dump isl | grep "netpeer: eth0"
}

# Killed in the middle of a transfer: the sender sees an error, nothing
# hangs, the same TAP comes back with its counters, ping works again.
case_crash() {
	local net=10.201.7 pid idx downs tx_before st
	one_island "$NETPEER" "--ip $net.2/24 --mac 02:00:0a:c9:07:02"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	idx=$(cat /sys/class/net/$TAP/ifindex)
	downs=$(cat /sys/class/net/$TAP/carrier_down_count)
	in_ns $NS1 sh -c "socat -u TCP-LISTEN:5007,reuseaddr - > /dev/null" &
	HELPERS+=($!)
	wait_for 5 in_ns $NS1 sh -c "ss -ltn | grep -q :5007" || fail "listener"
	timeout 60 socat -u /dev/zero TCP:$net.2:5007 2> "$D/socat.err" &
	local sender=$!
	HELPERS+=($sender)
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$TAP/statistics/tx_bytes) -gt 20000000 ]" || fail "transfer never got going"
	pid=$(fw_pid isl)
	kill -KILL "$pid"
	# Off, then on again: the kernel counts the drops.
	wait_for 10 sh -c "[ \$(cat /sys/class/net/$TAP/carrier_down_count) -gt $downs ]" || fail "carrier stayed on"
	tx_before=$(net_stat isl tx_packets)
	wait_for 10 sh -c "HIPC_RUN_DIR=$D/run $HIPCCTL status isl | grep -q 'restarts    1'" || fail "not restarted"
	wait_for 10 link_up "$TAP" || fail "carrier never came back"
	# The new island's stack knows nothing of the connection: it resets.
	wait_for 40 sh -c "! kill -0 $sender 2>/dev/null" || fail "sender still hangs"
	wait "$sender"
	st=$?
	echo "sender: exit $st, $(tail -1 $D/socat.err)"
	[ "$st" -ne 0 ] && [ "$st" -ne 124 ] || fail "sender did not see an error (exit $st)"
	[ "$(cat /sys/class/net/$TAP/ifindex)" = "$idx" ] || fail "a new TAP, not the same one"
	wait_for 10 ping -c 1 -W 1 $net.2 || fail "no ping after the restart"
	ping_ok ping -c 20 -w 30 -A $net.2 || fail "ping after restart lost packets"
	# The new island agreed on fragments again.
	wait_for 10 mtu_is "$TAP" $FRAG_MTU || fail "MTU after the restart $(cat /sys/class/net/$TAP/mtu)"
	net_line isl
	ping_ok ping -c 5 -w 30 -i 0.2 -M do -s $((FRAG_MTU - 28)) $net.2 || fail "MTU-sized ping after restart"
	[ "$(net_stat isl tx_packets)" -ge "$tx_before" ] || fail "counters reset"
	net_line isl
}

# gPTP over the link: host grandmaster, island client running free.  The
# client never adjusts the clock (both share it), so its servo prints
# nothing: offset and peer path delay come from its management interface.
# case_ptp_on: both started; returns once the client reports figures.
case_ptp_on() {
	local cfg=/usr/share/doc/linuxptp/configs/gPTP.cfg out off dly end
	command -v ptp4l > /dev/null || fail "ptp4l missing: scripts/deps.sh installs linuxptp"
	[ -f $cfg ] || fail "$cfg missing"
	# gPTP's 800 ns neighbour delay limit is for hardware time stamps;
	# software ones over this link take about 100 us.
	sed 's/^neighborPropDelayThresh.*/neighborPropDelayThresh 10000000/' $cfg > "$D/gm.cfg"
	echo "uds_address $D/ptp-gm" >> "$D/gm.cfg"
	{ grep -v uds_address "$D/gm.cfg"; echo "uds_address $D/ptp-client"
	  echo "free_running 1"; echo "slaveOnly 1"; } > "$D/client.cfg"
	ptp4l -i "$TAP" -S -f "$D/gm.cfg" -m > "$D/gm.log" 2>&1 &
	HELPERS+=($!)
	in_ns $NS1 ptp4l -i eth0 -S -f "$D/client.cfg" -m > "$D/client.log" 2>&1 &
	HELPERS+=($!)
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ]; do
		out=$(pmc -u -t 1 -b 0 -s "$D/ptp-client" 'GET CURRENT_DATA_SET' 'GET PORT_DATA_SET' 2>/dev/null)
		off=$(echo "$out" | awk '$1 == "offsetFromMaster" { print $2 }')
		dly=$(echo "$out" | awk '$1 == "peerMeanPathDelay" { print $2 }')
		if echo "$out" | grep -q "portState *\(UNCALIBRATED\|SLAVE\)" &&
		   [ -n "$off" ] && [ "$off" != 0.0 ] && [ -n "$dly" ] && [ "$dly" != 0 ]; then
			echo "client: offsetFromMaster $off ns, peerMeanPathDelay $dly ns"
			grep "selected best master" "$D/client.log" | tail -1
			return 0
		fi
		sleep 0.5
	done
	echo "--- client"; tail -20 "$D/client.log"; echo "--- grandmaster"; tail -20 "$D/gm.log"
	fail "no offset and path delay within 60 s"
}

case_ptp() {
	one_island "$NETPEER" "--ip 10.201.8.2/24"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	case_ptp_on
}

# Not a test (no CTest entry): the figures of docs/interfaces.md.  Ping
# RTT (3 runs of 100 at 0.2 s), TCP over the TAP (3 x 100 MB each way,
# through socat), gPTP offset and peer delay (20 samples, 0.5 s apart).
case_measure() {
	local net=10.201.9 i t0 t1 out off dly
	one_island "$NETPEER" "--ip $net.2/24"
	ip addr add $net.1/24 dev "$TAP"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	for i in 1 2 3; do
		ping -q -c 100 -i 0.2 $net.2 | tail -1
	done
	head -c 100000000 /dev/urandom > "$D/tx"
	for i in 1 2 3; do
		rm -f "$D/rx.sum"
		in_ns $NS1 sh -c "socat -u TCP-LISTEN:5009,reuseaddr - | sha256sum > $D/rx.sum" &
		HELPERS+=($!)
		wait_for 5 in_ns $NS1 sh -c "ss -ltn | grep -q :5009" || fail "listener"
		t0=$(date +%s%N)
		socat -u "$D/tx" TCP:$net.2:5009 || fail "send"
		wait_for 30 test -s "$D/rx.sum" || fail "receive"
		t1=$(date +%s%N)
		echo "host -> island: $((800000 * 1000 / ((t1 - t0) / 1000))) Mbit/s"
	done
	for i in 1 2 3; do
		rm -f "$D/rx.sum"
		sh -c "socat -u TCP-LISTEN:5009,reuseaddr,bind=$net.1 - | sha256sum > $D/rx.sum" &
		HELPERS+=($!)
		wait_for 5 sh -c "ss -ltn | grep -q $net.1:5009" || fail "listener"
		t0=$(date +%s%N)
		in_ns $NS1 socat -u "$D/tx" TCP:$net.1:5009 || fail "send"
		wait_for 30 test -s "$D/rx.sum" || fail "receive"
		t1=$(date +%s%N)
		echo "island -> host: $((800000 * 1000 / ((t1 - t0) / 1000))) Mbit/s"
	done
	net_line isl
	case_ptp_on
	for i in $(seq 20); do
		out=$(pmc -u -t 1 -b 0 -s "$D/ptp-client" 'GET CURRENT_DATA_SET' 'GET PORT_DATA_SET' 2>/dev/null)
		off=$(echo "$out" | awk '$1 == "offsetFromMaster" { print $2 }')
		dly=$(echo "$out" | awk '$1 == "peerMeanPathDelay" { print $2 }')
		echo "ptp sample: offsetFromMaster $off peerMeanPathDelay $dly"
		sleep 0.5
	done
}

# What hipcd --check says about the new keys.
case_config() {
	local out
	D=$(mktemp -d /tmp/hipc-net-XXXXXX)
	cat > "$D/bad.conf" <<EOF
[a]
firmware = $NETPEER
net_vlans = 100,5000
p2p = nosuch
[b]
firmware = $NETPEER
net_name = this-name-is-too-long
p2p = b
[c]
firmware = $NETPEER
net_vlans = 100,100
net_frag = maybe
[d]
mode = attach
p2p = a
EOF
	out=$("$HIPCD" --check "$D/bad.conf" 2>&1) && fail "bad configuration accepted"
	echo "$out"
	for m in "bad value '100,5000' for net_vlans" "p2p = nosuch: no such remote" \
		 "bad value 'this-name-is-too-long' for net_name" "p2p names itself" \
		 "VLAN 100 given twice" "p2p = a: both remotes must be booted" \
		 "bad value 'maybe' for net_frag"; do
		echo "$out" | grep -qF "$m" || fail "no '$m'"
	done
	cat > "$D/good.conf" <<EOF
[a]
firmware = $NETPEER
net_name = ethsi0
net_vlans = 100, 200,300
net_frag = no
p2p = b
[b]
firmware = $NETPEER
EOF
	"$HIPCD" --check "$D/good.conf" || fail "good configuration refused"
}

# hipcd stopped as a service manager stops it; then anything a sanitizer
# (the ASan build) or the daemon found wrong on the way is a failure.
# CPU clock ticks hipcd has used (user + system).
hipcd_ticks() { awk '{ print $14 + $15 }' "/proc/$HIPCD_PID/stat"; }

# The TAP deleted from outside (ip link del): hipcd closes it, logs and
# counts it once (tap_lost), and does not spin on its fd, which reports an
# error on every round from then on.
case_tap_lost() {
	local t0 t1
	one_island "$NETPEER" "--ip 10.215.1.2/24"
	ip link del "$TAP" || fail "cannot delete $TAP"
	wait_for 5 sh -c "[ \"\$(HIPC_RUN_DIR=$D/run $HIPCCTL stats isl | tr ' ' '\n' | grep -A1 -x tap_lost | tail -1)\" = 1 ]" ||
		fail "tap_lost not counted"
	t0=$(hipcd_ticks)
	sleep 2
	t1=$(hipcd_ticks)
	echo "hipcd: $((t1 - t0)) ticks of CPU in the 2 s after the TAP went"
	[ $((t1 - t0)) -lt 20 ] || fail "hipcd busy after its TAP went ($((t1 - t0)) ticks in 2 s)"
	[ "$(grep -c "$TAP: the interface is gone" "$D/hipcd.log")" = 1 ] || fail "not logged once"
	kill -0 "$HIPCD_PID" || fail "hipcd gone"
	# The remote's restart brings it back, working.
	kill -KILL "$(fw_pid isl)"
	wait_for 10 link_up "$TAP" || fail "$TAP not made again"
	ip addr add 10.215.1.1/24 dev "$TAP"
	wait_for 5 island_up $NS1 eth0 || fail "island link never up"
	ping_ok ping -c 10 -w 30 -A -W 2 10.215.1.2 || fail "ping after the TAP came back"
}

# A VLAN port that cannot be made (a veth holds the first VLAN's name): the
# ports are all closed, and nothing else: not hipcd's stdin (fd 0), which
# the ports not opened yet once pointed at.
case_vlan_fail() {
	local fd0
	ip link add "$TAP.100" type veth peer name "${TAP}v" || fail "cannot add a veth"
	start_hipcd <<CONF
[isl]
firmware = $NETPEER
args = --netns $NS1 --vlans 100,200
net_name = $TAP
net_vlans = 100,200
policy = stay
CONF
	wait_for 10 grep -q "no net interface" "$D/hipcd.log" || {
		cat "$D/hipcd.log"; ip link del "$TAP.100"; fail "the failure not logged"; }
	ip link del "$TAP.100"
	# hipcd's stdin (start_hipcd()'s here-document) is still open, and
	# still not one of hipcd's own
	fd0=$(readlink "/proc/$HIPCD_PID/fd/0")
	case $fd0 in
	pipe:* | /tmp/* | /dev/null) ;;
	*) fail "hipcd's fd 0 is '$fd0'" ;;
	esac
	ctl status isl > /dev/null || fail "hipcd does not answer"
}

finish() {
	[ -n "$HIPCD_PID" ] || return 0
	kill -TERM "$HIPCD_PID"
	wait_for 10 sh -c "! kill -0 $HIPCD_PID 2>/dev/null" || fail "hipcd did not stop on SIGTERM"
	wait "$HIPCD_PID" || fail "hipcd exited with status $?"
	HIPCD_PID=
	! grep -E "Sanitizer|runtime error:" "$D/hipcd.log" || fail "sanitizer report"
	# The remotes let go of: their TAPs are gone with them.
	! ls /sys/class/net | grep "^$TAP" || fail "TAPs left behind"
}

"case_$CASE" || fail "$CASE"
finish
echo "PASS: $CASE"
