# flowverify: build, test, demo, bench, fuzz.
# Every target that builds first runs `deps`, which installs gcc and
# libpcap-dev (gopacket/pcap needs them through cgo) when they are missing;
# scripts/deps.txt lists every package the build, the tests and the lab use.

GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# FUZZTIME is a duration (1m) or a count of executions (5000x); the smoke run
# in make test uses a count: a short duration can expire while the fuzzer is
# still replaying its corpus, which go test reports as a failure.
FUZZTIME ?= 10s
SAMPLE   := testdata/sample/threatmanager-day.pcap

.PHONY: all deps test-deps build test demo bench fuzz lint wine-check clean

all: build

deps:
	@scripts/deps.sh install build

# What the tests hand our output to (nft -c, iptables-restore --test,
# promtool, chromium) and the servers of the live end-to-end lab, all from
# scripts/deps.txt; go test itself installs nothing.
test-deps: deps
	@scripts/deps.sh install test lab

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/flowverify ./cmd/flowverify
	$(GO) build -o $(BIN)/flowverify-gen ./cmd/flowverify-gen

test: deps test-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	# The stages that share the table and the analyzer, under the race detector.
	$(GO) test -race -count=1 -run 'TestPipelined|TestFlushAhead' ./classifier
	$(GO) test -race -count=1 -run 'TestPrepare' ./capture/flow
	$(MAKE) --no-print-directory fuzz FUZZTIME=5000x

# Analyze the bundled sample day with the embedded matrix. It has findings
# on purpose (a firewall dropping 9389, unexpected DNS/SMB/GC traffic), so
# exit status 1 is the expected answer here.
demo: build
	@$(BIN)/flowverify analyze --server auto -o report.json -o report.html -o - $(SAMPLE); \
		rc=$$?; [ $$rc -le 1 ] || exit $$rc; \
		echo; echo "exit status $$rc (1 = findings); reports in report.json and report.html"

bench: build
	./scripts/bench.sh

fuzz:
	@for pkg_target in $$($(GO) test -list 'Fuzz.*' ./... 2>/dev/null | awk '/^Fuzz/{n[c++]=$$1} /^ok/{for(i=0;i<c;i++) print $$2":"n[i]; c=0}'); do \
		pkg=$${pkg_target%%:*}; target=$${pkg_target##*:}; \
		echo "fuzz $$pkg $$target for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 200x $$pkg || exit 1; \
	done

# The Windows binary under Wine (installs wine64 and MinGW; CI runs it).
wine-check:
	@scripts/wine-check.sh

lint:
	@scripts/check-tracked.sh
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...

clean:
	rm -rf $(BIN) report.json report.html bench-out
