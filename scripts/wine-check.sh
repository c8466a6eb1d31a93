#!/usr/bin/env bash
# The Windows binary, run under Wine: analyze on the bundled sample gives
# the same JSON as the Linux binary, byte for byte; monitor on a machine
# without Npcap exits 2 with the message that says to install it; and
# 'flowverify service' installs, shows, starts and removes the service in
# Wine's Service Control Manager.
#
# Debian 12's Wine 8.0 lacks bcryptprimitives.dll, whose ProcessPrng Go's
# runtime (1.22 and later) calls at start-up; scripts/wine/ builds a
# stand-in from RtlGenRandom into a Wine prefix of this run only. Wine's
# own wpcap.dll is turned off (WINEDLLOVERRIDES), which is what a Windows
# host without Npcap looks like: with it, gopacket's start-up stops on a
# function Wine's wpcap lacks.
#
# When Wine cannot be installed, it says why and exits 0 (CI prints it).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! scripts/deps.sh install wine >/tmp/flowverify-wine-deps.log 2>&1; then
	echo "wine check skipped: Wine or MinGW could not be installed:" >&2
	tail -5 /tmp/flowverify-wine-deps.log >&2
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -ldflags "-X main.version=$version" -o "$work/flowverify.exe" ./cmd/flowverify
go build -ldflags "-X main.version=$version" -o "$work/flowverify" ./cmd/flowverify
x86_64-w64-mingw32-gcc -shared -O2 -o "$work/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="wpcap=d"
wine=/usr/lib/wine/wine64
"$wine" cmd /c exit 0 >/dev/null 2>&1 || true # creates the prefix
cp "$work/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"

sample=testdata/sample/threatmanager-day.pcap
set +e
"$wine" "$work/flowverify.exe" analyze -q --server auto -f json "$sample" >"$work/windows.json" 2>"$work/windows.err"
wrc=$?
"$work/flowverify" analyze -q --server auto -f json "$sample" >"$work/linux.json" 2>/dev/null
lrc=$?
set -e
if [ "$wrc" != "$lrc" ] || ! cmp -s "$work/windows.json" "$work/linux.json"; then
	echo "wine: analyze differs: exit $wrc under Wine, $lrc on Linux" >&2
	diff "$work/windows.json" "$work/linux.json" | head -20 >&2
	head -20 "$work/windows.err" >&2
	exit 1
fi
echo "wine: analyze on the sample: the same JSON as on Linux ($(wc -c <"$work/linux.json") bytes, exit $wrc)"

set +e
"$wine" "$work/flowverify.exe" monitor -i eth0 --duration 2s >"$work/monitor.out" 2>"$work/monitor.err"
mrc=$?
set -e
if [ "$mrc" != 2 ] || ! grep -q "install Npcap" "$work/monitor.err" || grep -q "^panic\|goroutine " "$work/monitor.err"; then
	echo "wine: monitor without Npcap: exit $mrc, want 2 and the Npcap message:" >&2
	head -20 "$work/monitor.err" >&2
	exit 1
fi
echo "wine: monitor without Npcap: exit 2, \"$(head -1 "$work/monitor.err")\""

# The service under Wine's Service Control Manager: installed with monitor
# flags that status reads back, started for real (the monitor then stops
# by itself, as without Npcap it must, saying so in the service's log),
# and removed.
set +e
"$wine" "$work/flowverify.exe" service install -i eth0 --duration 30s >"$work/svc.out" 2>&1 || { echo "wine: service install failed:" >&2; cat "$work/svc.out" >&2; exit 1; }
status=$("$wine" "$work/flowverify.exe" service status 2>&1)
echo "$status" | grep -q 'service run -i eth0 --duration 30s' || { echo "wine: service status does not show the stored flags: $status" >&2; exit 1; }
"$wine" "$work/flowverify.exe" service start >"$work/svc.out" 2>&1 || { echo "wine: service start failed:" >&2; cat "$work/svc.out" >&2; exit 1; }
for _ in $(seq 1 30); do
	out=$("$wine" "$work/flowverify.exe" service status 2>&1)
	[[ $out == *": stopped"* ]] && break
	sleep 1
done
log=$(find "$WINEPREFIX/drive_c" -path '*flowverify/flowverify.log' | head -1)
grep -q "install Npcap" "${log:-/dev/null}" || { echo "wine: the service's log does not say to install Npcap (${log:-no log})" >&2; exit 1; }
"$wine" "$work/flowverify.exe" service uninstall >"$work/svc.out" 2>&1 || { echo "wine: service uninstall failed:" >&2; cat "$work/svc.out" >&2; exit 1; }
gone=
for _ in $(seq 1 20); do # deleted once the last handle on it closes
	out=$("$wine" "$work/flowverify.exe" service status 2>&1) # exit 2 when it is not installed
	[[ $out == *"not installed"* ]] && { gone=1; break; }
	sleep 1
done
[ -n "$gone" ] || { echo "wine: the service is still there after uninstall: $("$wine" "$work/flowverify.exe" service status 2>&1)" >&2; exit 1; }
set -e
echo "wine: service install, status (\"$(echo "$status" | tail -1)\"), start, stop by itself without Npcap, uninstall"
