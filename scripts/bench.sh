#!/usr/bin/env bash
# Benchmark suite. Generates its captures deterministically (a Threat Manager
# mix, a flood of distinct flows, a few very long flows), then for each one,
# in one run: the two floors (a bare pcapgo read loop; read +
# DecodingLayerParser + a Go map per packet) and analyze as Go benchmarks
# (packets/s, MB/s, allocations per packet, peak RSS, each in its own
# process); the flowverify binary end to end (wall time, peak RSS, bytes per
# tracked flow); and, where they are installed (the script installs them from
# Debian packages), ndpiReader, softflowd and tshark on the same files; then
# the binary on the mix gzip-compressed.
# Ratios against the decode floor are the headline; absolute times are noise
# on a shared machine.
#
# Then peak memory against file size: the binary on a mix of FLAT/10 and
# of FLAT packets (about 300 MB and 3 GB), whose concurrent flows are alike.
# Last, peak memory under hostile input (see that section).
#
#   MIX=5000000 FLOOD=1000000 LONG=2000000 FLAT=30000000 COUNT=3 scripts/bench.sh
#   QUICK=1 scripts/bench.sh        # 2M-packet mix only, no external tools
set -euo pipefail
cd "$(dirname "$0")/.."

MIX=${MIX:-5000000}
FLOOD=${FLOOD:-1000000}
LONG=${LONG:-2000000}
FLAT=${FLAT:-30000000}
BENCHTIME=${BENCHTIME:-3x}
COUNT=${COUNT:-3}
OUT=bench-out
mkdir -p "$OUT"
if [ -n "${QUICK:-}" ]; then MIX=2000000; FLOOD=0; LONG=0; FLAT=0; fi

if [ -z "${QUICK:-}" ]; then
	# ndpiReader, softflowd and tshark for the comparison rows; a row is
	# skipped when its tool cannot be installed.
	scripts/deps.sh install bench || echo "  some comparison tools are not installable: their rows are skipped" >&2
fi

go build -o "$OUT/flowverify" ./cmd/flowverify
go build -o "$OUT/flowverify-gen" ./cmd/flowverify-gen
go test -c -o "$OUT/classifier.test" ./classifier

gen() { # gen NAME FLAG COUNT
	local f="$OUT/$1.pcap"
	[ -s "$f" ] || { echo "generating $f ($2 $3)..." >&2; "$OUT/flowverify-gen" "$2" "$3" -o "$f"; }
	echo "$f"
}

median() { # the middle line of benchmark output lines, by pkts/s
	# (benchmark lines hold tabs: key and line are joined by a \001)
	awk '{for (i=2;i<=NF;i++) if ($i=="pkts/s") printf "%s\001%s\n", $(i-1), $0}' | sort -t$'\001' -k1,1g |
		cut -d$'\001' -f2- | awk '{l[NR]=$0} END{if (NR) print l[int((NR+1)/2)]}'
}

metric() { awk -v u="$2" '{for (i=2;i<=NF;i++) if ($i==u) print $(i-1)}' <<<"$1"; }

peak() { # [RUNS=n] peak CMD... -> "wall rss": median wall time of n runs (default 1), peak RSS
	python3 - "${RUNS:-1}" "$@" <<'EOF'
import resource, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "scripts")
import timed
walls = sorted(timed.run(sys.argv[2:]) for _ in range(int(sys.argv[1])))
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{walls[len(walls)//2]:.3f} {ru.ru_maxrss/1024:.0f}")
EOF
}

run_set() { # run_set LABEL FILE
	local label=$1 file=$2
	local size packets
	size=$(stat -c %s "$file")
	echo
	echo "== $label: $file ($((size / 1048576)) MiB)"
	declare -A line
	for b in FloorRead FloorDecodeMap AnalyzeNoRecognition Analyze AnalyzePipelined; do
		# COUNT runs of each, interleaved with nothing else; the median
		# run by packets/s stands for it (this machine's noise is ±15%).
		line[$b]=$(FLOWVERIFY_BENCH_FILE="$file" "$OUT/classifier.test" -test.run '^$' \
			-test.bench "^Benchmark$b\$" -test.benchtime "$BENCHTIME" -test.count "$COUNT" | grep "^Benchmark$b" | median || true)
	done
	local floor
	floor=$(metric "${line[FloorDecodeMap]}" pkts/s)
	printf '%-24s %12s %9s %11s %9s %8s\n' "run" "pkts/s" "MB/s" "allocs/pkt" "peak MiB" "vs floor"
	for b in FloorRead FloorDecodeMap AnalyzeNoRecognition Analyze AnalyzePipelined; do
		local pps
		pps=$(metric "${line[$b]}" pkts/s)
		PPS[$label:$b]=$pps
		printf '%-24s %12.0f %9s %11s %9s %8s\n' "$b" "$pps" "$(metric "${line[$b]}" MB/s)" \
			"$(metric "${line[$b]}" allocs/pkt)" "$(metric "${line[$b]}" peakRSS-MiB)" \
			"$(awk -v a="$pps" -v f="$floor" 'BEGIN{printf "%.2fx", a/f}')"
	done
	# End to end: the binary on one core (-j 1), with bytes per tracked
	# flow, and with its default (-j 0: two cores when there are two).
	local js="$OUT/$label.json"
	read -r wall rss < <(RUNS=$((COUNT * 3)) peak "$OUT/flowverify" analyze -j 1 -q -s 10.20.0.10 --fail-on none -f json -o "$js" "$file")
	packets=$(python3 -c "import json;d=json.load(open('$js'));s=d['summary'];print(s['packets'], s['max_active_flows'], s['flows'], s['evicted'])")
	read -r np maxact nflows evicted <<<"$packets"
	PPS[$label:binary-j1]=$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')
	base=$(peak "$OUT/flowverify" analyze -j 1 -q -s 10.20.0.10 --fail-on none testdata/scenarios/all-good.pcap | cut -d' ' -f2)
	printf '%-24s %12.0f %9.0f %11s %9s %8s   flows %s, max tracked %s, evicted %s, %s bytes/tracked flow\n' "flowverify analyze -j1" \
		"$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')" "$(awk -v s="$size" -v w="$wall" 'BEGIN{print s/1e6/w}')" "-" "$rss" \
		"$(awk -v n="$np" -v w="$wall" -v f="$floor" 'BEGIN{printf "%.2fx", n/w/f}')" "$nflows" "$maxact" "$evicted" \
		"$(awk -v r="$rss" -v b="$base" -v m="$maxact" 'BEGIN{ if (m>0) printf "%.0f", (r-b)*1048576/m; else print "-"}')"
	read -r wall rss < <(RUNS=$((COUNT * 3)) peak "$OUT/flowverify" analyze -q -s 10.20.0.10 --fail-on none -f json -o "$OUT/$label-j0.json" "$file")
	PPS[$label:binary]=$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')
	printf '%-24s %12.0f %9.0f %11s %9s %8s\n' "flowverify analyze" \
		"$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')" "$(awk -v s="$size" -v w="$wall" 'BEGIN{print s/1e6/w}')" "-" "$rss" \
		"$(awk -v n="$np" -v w="$wall" -v f="$floor" 'BEGIN{printf "%.2fx", n/w/f}')"
	cmp -s "$js" "$OUT/$label-j0.json" || echo "  WARNING: the -j 0 report differs from -j 1" >&2
	# External tools on the same file.
	if [ -z "${QUICK:-}" ]; then
		if command -v ndpiReader >/dev/null; then
			read -r wall rss < <(peak ndpiReader -i "$file" -q)
			printf '%-24s %12.0f %9.0f %11s %9s %8s\n' "ndpiReader" "$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')" \
				"$(awk -v s="$size" -v w="$wall" 'BEGIN{print s/1e6/w}')" "-" "$rss" "$(awk -v n="$np" -v w="$wall" -v f="$floor" 'BEGIN{printf "%.2fx", n/w/f}')"
		fi
		if command -v softflowd >/dev/null; then
			read -r wall rss < <(peak softflowd -r "$file" -n 127.0.0.1:9 -v 5)
			printf '%-24s %12.0f %9.0f %11s %9s %8s\n' "softflowd" "$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')" \
				"$(awk -v s="$size" -v w="$wall" 'BEGIN{print s/1e6/w}')" "-" "$rss" "$(awk -v n="$np" -v w="$wall" -v f="$floor" 'BEGIN{printf "%.2fx", n/w/f}')"
		fi
		if command -v tshark >/dev/null; then
			read -r wall rss < <(peak tshark -q -z conv,tcp -z conv,udp -r "$file")
			printf '%-24s %12.0f %9.0f %11s %9s %8s%s\n' "tshark conv" "$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')" \
				"$(awk -v s="$size" -v w="$wall" 'BEGIN{print s/1e6/w}')" "-" "$rss" "$(awk -v n="$np" -v w="$wall" -v f="$floor" 'BEGIN{printf "%.2fx", n/w/f}')" \
				"$(awk -v w="$wall" 'BEGIN{ if (w >= 479) print "   (stopped at the 8-minute limit)"}')"
		fi
	fi
}

declare -A PPS
echo "pkts/s of the Go benchmarks: the median of $COUNT runs; of the binary: the median wall time of $((COUNT * 3)) runs."
echo "peak MiB of a Go benchmark is its process's peak over all its runs (earlier runs' garbage included);"
echo "the binary's is one run's, and bytes/tracked flow is that peak less the binary's baseline, per flow."
run_set mix "$(gen "mix-$MIX" -mix "$MIX")"
[ "$FLOOD" -gt 0 ] && run_set flood "$(gen "flood-$FLOOD" -flood "$FLOOD")"
[ "$LONG" -gt 0 ] && run_set long "$(gen "long-$LONG" -long "$LONG")"

# The mix as customers send it: gzip-compressed (level 6, gzip's default).
# Inflating sets the pace; the figures are against the plain file's.
if [ -z "${QUICK:-}" ]; then
	mixfile="$OUT/mix-$MIX.pcap"
	gzfile="$mixfile.gz"
	[ -s "$gzfile" ] || { echo "compressing $mixfile..." >&2; gzip -6 -c "$mixfile" >"$gzfile.tmp" && mv "$gzfile.tmp" "$gzfile"; }
	size=$(stat -c %s "$mixfile")
	echo
	echo "== mix, gzip-compressed: $gzfile ($(($(stat -c %s "$gzfile") / 1048576)) MiB)"
	printf '%-24s %12s %9s %9s %18s\n' "run" "pkts/s" "MB/s" "peak MiB" "vs the plain file"
	for j in 1 0; do
		label="flowverify analyze -j1" key=binary-j1
		[ "$j" = 0 ] && label="flowverify analyze" key=binary
		read -r wall rss < <(RUNS=$COUNT peak "$OUT/flowverify" analyze -j $j -q -s 10.20.0.10 --fail-on none -f json -o "$OUT/mix-gz-j$j.json" "$gzfile")
		np=$(python3 -c "import json;print(json.load(open('$OUT/mix-gz-j$j.json'))['summary']['packets'])")
		printf '%-24s %12.0f %9.0f %9s %17.2fx\n' "$label" "$(awk -v n="$np" -v w="$wall" 'BEGIN{print n/w}')" \
			"$(awk -v s="$size" -v w="$wall" 'BEGIN{print s/1e6/w}')" "$rss" \
			"$(awk -v n="$np" -v w="$wall" -v p="${PPS[mix:$key]:-0}" 'BEGIN{ if (p>0) print n/w/p; else print 0}')"
		python3 -c "import json,sys;a,b=(json.load(open(f)) for f in sys.argv[1:]);sys.exit(any(a[k]!=b[k] for k in ('summary','rules','unexpected')))" \
			"$OUT/mix-gz-j$j.json" "$OUT/mix.json" || echo "  WARNING: the compressed mix's findings differ from the plain one's" >&2
	done
fi

# Peak memory against file size: the same mix ten times longer holds about
# as many flows at once, so it should need about the same memory.
if [ "$FLAT" -gt 0 ]; then
	echo
	echo "== peak memory against file size (the mix, ${FLAT} packets against $((FLAT / 10)))"
	printf '%-24s %14s %14s %10s\n' "run" "small MiB" "large MiB" "large/small"
	small=$(gen "mix-$((FLAT / 10))" -mix "$((FLAT / 10))")
	large=$(gen "mix-$FLAT" -mix "$FLAT")
	for j in 1 0; do
		label="flowverify analyze -j1"
		[ "$j" = 0 ] && label="flowverify analyze"
		rs=$(peak "$OUT/flowverify" analyze -j $j -q -s 10.20.0.10 --fail-on none -f json -o "$OUT/flat-small.json" "$small" | cut -d' ' -f2)
		rl=$(peak "$OUT/flowverify" analyze -j $j -q -s 10.20.0.10 --fail-on none -f json -o "$OUT/flat-large.json" "$large" | cut -d' ' -f2)
		printf '%-24s %14s %14s %9.2fx\n' "$label" "$rs ($(($(stat -c %s "$small") / 1000000)) MB)" \
			"$rl ($(($(stat -c %s "$large") / 1000000)) MB)" "$(awk -v a="$rl" -v b="$rs" 'BEGIN{print a/b}')"
	done
fi

# The flood against the mix: time per packet, same run (issue: within 2x).
if [ "$FLOOD" -gt 0 ]; then
	echo
	echo "== time per packet, flood / mix (1.00x = as fast per packet as the mix)"
	for b in FloorDecodeMap Analyze AnalyzePipelined binary-j1 binary; do
		m=${PPS[mix:$b]:-} f=${PPS[flood:$b]:-}
		[ -n "$m" ] && [ -n "$f" ] || continue
		awk -v b="$b" -v m="$m" -v f="$f" 'BEGIN{printf "%-24s %6.0f ns vs %6.0f ns   %.2fx\n", b, 1e9/f, 1e9/m, m/f}'
	done
	# The rows above were measured minutes apart, and this kind of machine
	# drifts by more than the margin at stake: the binary again, a mix run
	# and a flood run in turn, medians of each, and the spread of the
	# ratio over the pairs (a mix run and the flood run after it).
	python3 - "$((COUNT * 3 > 9 ? COUNT * 3 : 9))" "$OUT/flowverify" "$OUT/mix-$MIX.pcap" "$OUT/mix.json" \
		"$OUT/flood-$FLOOD.pcap" "$OUT/flood.json" <<'PY'
import json, statistics, sys
sys.dont_write_bytecode = True
sys.path.insert(0, "scripts")
import timed
n, exe, mix, mixjs, flood, floodjs = int(sys.argv[1]), *sys.argv[2:]
pk = {f: json.load(open(js))["summary"]["packets"] for f, js in ((mix, mixjs), (flood, floodjs))}
for j, label in (("1", "binary-j1, in turn"), ("0", "binary, in turn")):
    walls = {mix: [], flood: []}
    for _ in range(n):
        for f in (mix, flood):
            walls[f].append(timed.run([exe, "analyze", "-j", j, "-q", "-s", "10.20.0.10", "--fail-on", "none",
                                       "-f", "json", "-o", exe + "-turn.json", f]))
    m, fl = (statistics.median(walls[f]) / pk[f] * 1e9 for f in (mix, flood))
    pairs = sorted(b / pk[flood] / (a / pk[mix]) for a, b in zip(walls[mix], walls[flood]))
    q1, q3 = pairs[len(pairs) // 4], pairs[(3 * len(pairs)) // 4]
    print(f"{label:24s} {fl:6.0f} ns vs {m:6.0f} ns   {fl / m:.2f}x   ({n} runs of each; pairs' middle half {q1:.2f}-{q3:.2f}x)")
PY
fi
# Peak memory under hostile input, against the 300 MiB the README
# promises, each beside a reference run of the same binary on the same
# input in its cheapest mode: 4M one-datagram flows with no sign of a
# server (reference: the server named); --flows -f jsonl on a 1M-flow
# flood (reference: no --flows); merge of two 100 MB reports (reference:
# diff of the same two, which reads both); and the monitor fed 400k
# distinct flows with --max-flows 100000 (scripts/replay-bench.sh --flood,
# which needs root for its namespaces).
if [ -z "${QUICK:-}" ]; then
	echo
	echo "== peak memory under hostile input (limit 300 MiB)"
	printf '%-44s %10s %14s %8s\n' "run" "peak MiB" "reference MiB" "ratio"
	row() { # row LABEL RSS REF
		printf '%-44s %10s %14s %8s\n' "$1" "$2" "$3" "$(awk -v a="$2" -v b="$3" 'BEGIN{if (b>0) printf "%.2fx", a/b; else print "-"}')"
	}
	spray=$(gen spray-4000000 -spray 4000000)
	rss=$(peak "$OUT/flowverify" analyze -q --fail-on none -f json -o "$OUT/spray.json" "$spray" | cut -d' ' -f2)
	ref=$(peak "$OUT/flowverify" analyze -q -s 192.168.0.1 --fail-on none -f json -o "$OUT/spray-s.json" "$spray" | cut -d' ' -f2)
	row "4M-flow spray, no --server" "$rss" "$ref"
	flood1m=$(gen flood-1000000 -flood 1000000)
	rss=$(peak "$OUT/flowverify" analyze -q -s 10.20.0.10 --flows --fail-on none -f jsonl -o "$OUT/flood.jsonl" "$flood1m" | cut -d' ' -f2)
	ref=$(peak "$OUT/flowverify" analyze -q -s 10.20.0.10 --fail-on none -f json -o "$OUT/flood-noflows.json" "$flood1m" | cut -d' ' -f2)
	rm -f "$OUT/flood.jsonl"
	row "1M-flow flood, --flows -f jsonl" "$rss" "$ref"
	for seed in 1 2; do
		f=$OUT/flood-150000-$seed.pcap
		[ -s "$f" ] || "$OUT/flowverify-gen" -flood 150000 -seed $seed -o "$f"
		[ -s "$OUT/report-$seed.json" ] || "$OUT/flowverify" analyze -q -s 10.20.0.10 --flows --fail-on none -o "$OUT/report-$seed.json" "$f" 2>/dev/null
	done
	rss=$(peak "$OUT/flowverify" merge -f json -o "$OUT/merged.json" "$OUT/report-1.json" "$OUT/report-2.json" | cut -d' ' -f2)
	ref=$(peak "$OUT/flowverify" diff "$OUT/report-1.json" "$OUT/report-2.json" | cut -d' ' -f2)
	rm -f "$OUT/merged.json"
	row "merge of two $(($(stat -c %s "$OUT/report-1.json") / 1000000)) MB reports" "$rss" "$ref"
	if [ "$(id -u)" = 0 ]; then
		mon=$(scripts/replay-bench.sh --flood 400000 | awk '/^monitor flood/{for (i=1;i<=NF;i++) if ($i=="RSS") print $(i+1)}')
		row "monitor, 400k flows, --max-flows 100000" "${mon:--}" "-"
	else
		echo "  monitor row skipped: scripts/replay-bench.sh --flood needs root"
	fi
fi
exit 0
