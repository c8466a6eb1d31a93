#!/usr/bin/env bash
# Live capture under load: replay a generated Threat Manager mix with
# tcpreplay at fixed rates into a veth pair, and read the kernel drops that
# flowverify monitor and tcpdump -w /dev/null report on the same interface in
# the same run. Also a soak: --soak MINUTES replays a stream of short-lived
# flows and samples the monitor's RSS and flow-table size.
#
#   scripts/replay-bench.sh [RATE...]        # default rates: 20000 50000 100000 200000 400000
#   scripts/replay-bench.sh --soak 10
#   scripts/replay-bench.sh --flood 400000   # peak RSS of the monitor under a flood
#   scripts/replay-bench.sh --live [RATE...] # each rate also with --http and --webhook on
# Needs root (namespaces); installs tcpreplay and tcpdump (scripts/deps.txt) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 77; }
scripts/deps.sh install bench
OUT=bench-out/replay
mkdir -p "$OUT"
go build -o "$OUT/flowverify" ./cmd/flowverify
[ -s "$OUT/mix.pcap" ] || go run ./cmd/flowverify-gen -mix 300000 -o "$OUT/mix.pcap"

cleanup() { ip netns del fvrep 2>/dev/null || true; ip netns del fvmon 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add fvrep
ip netns add fvmon
ip link add fvr0 type veth peer name fvm0
ip link set fvr0 netns fvrep
ip link set fvm0 netns fvmon
ip netns exec fvrep ip link set fvr0 up
ip netns exec fvmon ip link set fvm0 up
ip netns exec fvrep ip link set fvr0 mtu 9000
ip netns exec fvmon ip link set fvm0 mtu 9000
ip netns exec fvmon ip link set lo up

if [ "${1:-}" = "--flood" ]; then
	# Memory under a flood: N distinct one-packet flows inside one window,
	# with the flow cap at a quarter of them; prints the monitor's peak RSS
	# (VmHWM) and the report's warnings. FLOWVERIFY=path measures another
	# build of the binary against the same replay.
	n=${2:-400000}
	bin=${FLOWVERIFY:-$OUT/flowverify}
	[ -s "$OUT/flood-$n.pcap" ] || go run ./cmd/flowverify-gen -flood "$n" -o "$OUT/flood-$n.pcap"
	ip netns exec fvmon "$bin" monitor -i fvm0 --server 10.20.0.10 --duration 40s --interval 2s --window 15m \
		--max-flows $((n / 4)) --events "$OUT/flood-events.jsonl" -f json -o "$OUT/flood.json" 2>"$OUT/flood.log" &
	mon=$!
	sleep 2
	pid=$(pgrep -f "monitor -i fvm0 --server 10.20.0.10 --duration 40s" | head -1)
	ip netns exec fvrep tcpreplay -q -i fvr0 --pps 50000 "$OUT/flood-$n.pcap" >/dev/null 2>&1
	sleep 3
	hwm=$(awk '/VmHWM/{print int($2/1024)}' /proc/"$pid"/status)
	kill -INT "$pid"
	wait "$mon" || true
	python3 - "$OUT/flood.json" "$hwm" "$OUT/flood-events.jsonl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
events = sum(1 for _ in open(sys.argv[3]))
print(f"monitor flood: {d['summary']['packets']} packets, {d['summary']['flows']} flows in the window, peak RSS {sys.argv[2]} MiB, {events} events")
for w in d.get("warnings", []):
    print("  warning:", w)
PY
	exit 0
fi

if [ "${1:-}" = "--soak" ]; then
	mins=${2:-10}
	ip netns exec fvmon "$OUT/flowverify" monitor -i fvm0 --server 10.20.0.10 --duration "${mins}m" --interval 1m --window 2m \
		--metrics-listen 9464 --events /dev/null -o "$OUT/soak.json" 2>"$OUT/soak.log" &
	mon=$!
	sleep 2
	# The mix is replayed in a loop; each pass carries distinct ports, so flows are short-lived and new.
	ip netns exec fvrep tcpreplay -q -i fvr0 --pps 20000 --loop 0 "$OUT/mix.pcap" >/dev/null 2>&1 &
	rep=$!
	pid=$(pgrep -f "flowverify monitor -i fvm0" | head -1)
	printf '%-8s %10s %12s %12s\n' minute "RSS MiB" "flow table" "heap MiB"
	for m in $(seq 1 "$mins"); do
		sleep 60
		rss=$(awk '/VmRSS/{print int($2/1024)}' /proc/"$pid"/status 2>/dev/null || echo -)
		metrics=$(ip netns exec fvmon curl -s 127.0.0.1:9464/metrics || true)
		ft=$(awk '/^flowverify_flow_table_size /{print $2}' <<<"$metrics")
		heap=$(awk '/^go_memstats_heap_inuse_bytes /{printf "%d", $2/1048576}' <<<"$metrics")
		printf '%-8s %10s %12s %12s\n' "$m" "$rss" "${ft:--}" "${heap:--}"
	done
	kill "$rep" 2>/dev/null || true
	wait "$mon" || true
	exit 0
fi

# --live: each rate twice, plain and with the live page and alerts on
# (--http, polled every second as a browser would, --webhook to a local
# receiver, --interval 2s so both work all through), drops side by side.
live=
if [ "${1:-}" = "--live" ]; then live=1; shift; fi
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(20000 50000 100000 200000 400000)
pkts=$(tcpdump -r "$OUT/mix.pcap" -qn 2>/dev/null | wc -l)
if [ -n "$live" ]; then
	ip netns exec fvmon python3 -c '
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", 8098), H).serve_forever()' &
	receiver=$!
	trap 'kill $receiver 2>/dev/null || true; cleanup' EXIT
fi

# one RATE EXTRA...: replays the mix at RATE into a monitor given EXTRA
# flags; prints "achieved flowverify-drops tcpdump-drops".
one() {
	local rate=$1
	shift
	local secs=$(( pkts / ${rate/top/300000} + 4 ))
	ip netns exec fvmon "$OUT/flowverify" monitor -i fvm0 --server 10.20.0.10 --duration "${secs}s" \
		--events /dev/null -o "$OUT/run.json" "$@" >/dev/null 2>&1 &
	local mon=$!
	ip netns exec fvmon timeout "$secs" tcpdump -i fvm0 -w /dev/null 2>"$OUT/tcpdump.log" &
	local td=$!
	local poll=
	if [[ " $* " == *" --http "* ]]; then
		( while sleep 1; do ip netns exec fvmon curl -s -o /dev/null 127.0.0.1:8099/ || true; done ) &
		poll=$!
	fi
	sleep 1.5
	local speed=(--pps "$rate"); [ "$rate" = top ] && speed=(--topspeed --preload-pcap)
	local achieved
	achieved=$(ip netns exec fvrep tcpreplay -i fvr0 "${speed[@]}" "$OUT/mix.pcap" 2>&1 | awk '/Rated:/{for (i=1;i<=NF;i++) if ($i ~ /^pps/) print int($(i-1))}' | head -1)
	wait "$mon" || true
	wait "$td" || true
	[ -n "$poll" ] && kill "$poll" 2>/dev/null
	local fvdrops tddrops tdcap
	fvdrops=$(python3 -c "import json;d=json.load(open('$OUT/run.json'));print(str(d['summary']['dropped']) + '/' + str(d['summary']['packets']))")
	tddrops=$(awk '/dropped by kernel/{print $1}' "$OUT/tcpdump.log")
	tdcap=$(awk '/packets captured/{print $1}' "$OUT/tcpdump.log")
	echo "${achieved:-?} $fvdrops ${tddrops:-?}/${tdcap:-?}"
}

if [ -n "$live" ]; then
	printf '%-10s %-12s %18s %26s %16s\n' "rate pps" "achieved" "flowverify drops" "with --http and --webhook" "tcpdump drops"
else
	printf '%-10s %-12s %18s %16s\n' "rate pps" "achieved" "flowverify drops" "tcpdump drops"
fi
for rate in "${rates[@]}"; do
	read -r achieved plain td < <(one "$rate" --interval 1h)
	if [ -n "$live" ]; then
		read -r _ withlive _ < <(one "$rate" --interval 2s --http 127.0.0.1:8099 --webhook http://127.0.0.1:8098/alerts)
		printf '%-10s %-12s %18s %26s %16s\n' "$rate" "$achieved" "$plain" "$withlive" "$td"
	else
		printf '%-10s %-12s %18s %16s\n' "$rate" "$achieved" "$plain" "$td"
	fi
done
