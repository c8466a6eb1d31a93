#!/usr/bin/env bash
# Benchmark suite: analyze against two floors on the same generated capture,
# each in its own process so peak RSS is its own. Ratios against the decode
# floor are the headline; absolute figures are noise on a shared machine.
#
#   PACKETS=2000000 BENCHTIME=3x scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKETS=${PACKETS:-2000000}
BENCHTIME=${BENCHTIME:-3x}
OUT=bench-out
mkdir -p "$OUT"
MIX="$OUT/mix-$PACKETS.pcap"

if [ ! -s "$MIX" ]; then
	echo "generating $MIX ($PACKETS+ packets)..."
	go run ./cmd/flowverify-gen -mix "$PACKETS" -o "$MIX"
fi
go test -c -o "$OUT/classifier.test" ./classifier

declare -A line
for b in FloorRead FloorDecodeMap AnalyzeNoRecognition Analyze; do
	line[$b]=$(FLOWVERIFY_BENCH_FILE="$MIX" "$OUT/classifier.test" -test.run '^$' \
		-test.bench "^Benchmark$b\$" -test.benchtime "$BENCHTIME" | grep "^Benchmark$b")
done

metric() { # metric LINE UNIT -> value preceding UNIT
	awk -v u="$2" '{for (i=2;i<=NF;i++) if ($i==u) print $(i-1)}' <<<"$1"
}

size=$(stat -c %s "$MIX")
echo
echo "capture: $MIX ($((size / 1048576)) MiB, $(go run ./cmd/flowverify analyze -f json -s 10.20.0.10 --fail-on none "$MIX" | grep -m1 '"packets": [0-9]*,' | tail -1 | tr -dc 0-9) packets)"
printf '%-22s %12s %10s %12s %12s %14s\n' "run" "pkts/s" "MB/s" "allocs/pkt" "peak RSS MiB" "vs decode floor"
floor=$(metric "${line[FloorDecodeMap]}" pkts/s)
for b in FloorRead FloorDecodeMap AnalyzeNoRecognition Analyze; do
	pps=$(metric "${line[$b]}" pkts/s)
	printf '%-22s %12.0f %10s %12s %12s %14s\n' "$b" "$pps" "$(metric "${line[$b]}" MB/s)" \
		"$(metric "${line[$b]}" allocs/pkt)" "$(metric "${line[$b]}" peakRSS-MiB)" \
		"$(awk -v a="$pps" -v f="$floor" 'BEGIN{printf "%.2fx", a/f}')"
done
echo
echo "recognition cost: Analyze runs at $(awk -v a="$(metric "${line[Analyze]}" pkts/s)" -v b="$(metric "${line[AnalyzeNoRecognition]}" pkts/s)" 'BEGIN{printf "%.2fx", a/b}') the speed of AnalyzeNoRecognition"
