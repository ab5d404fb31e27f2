# eddy — build, run and test. `make run` starts a server on embedded defaults; `make test` runs
# every test (what CI runs).
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/eddydb/eddy/server.Version=$(VERSION)
BIN      := bin/eddy
FUZZTIME ?= 20s
PKG      ?= ./executor
# Packages that start goroutines run under the race detector in `make test`.
RACE_PKGS := ./server/... ./raftlog/... ./storage/... ./executor/views/...
PLAIN_PKGS := ./sql/... ./planner/... ./executor/... ./connectors/...

.PHONY: all build run cluster test lint bench fuzz stress crash-test diff-random clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/eddy

run: build
	./$(BIN) serve

# A 3-node cluster on loopback (pg ports 4566-4568, HTTP 8080-8082, Raft 7001-7003).
cluster: build
	EDDY_BIN=./$(BIN) bash deploy/cluster.sh

test: build
	$(GO) vet ./...
	$(GO) test -race -timeout 20m $(RACE_PKGS)
	$(GO) test -timeout 20m $(PLAIN_PKGS)
	EDDY_BIN=$(CURDIR)/$(BIN) EDDY_REQUIRE_PG=1 $(GO) test -count=1 -timeout 25m ./cmd/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 -run TestLayers ./cmd/eddy

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 2s ./executor/... ./storage/... ./server/... ./connectors/...
	EDDY_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -run '^$$' -bench . -benchtime 3x -timeout 90m ./cmd/eddy

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./sql
	$(GO) test -run '^$$' -fuzz '^FuzzBackend$$' -fuzztime $(FUZZTIME) ./server/pgwire

stress:
	$(GO) test -count=20 -race $(PKG)

crash-test: build
	EDDY_BIN=$(CURDIR)/$(BIN) EDDY_CRASH_ROUNDS=100 EDDY_SAVEPOINT_KILLS=100 $(GO) test -count=1 -timeout 60m -run 'TestKill|TestViewsSurviveKill9|TestSavepointKill9' ./cmd/eddy

clean:
	rm -rf bin eddy-data eddy-cluster

# Explore new random seeds of the eddy-vs-PostgreSQL differential test.
diff-random: build
	EDDY_BIN=$(CURDIR)/$(BIN) EDDY_REQUIRE_PG=1 EDDY_DIFF_SEED=random EDDY_DIFF_QUERIES=5000 $(GO) test -count=1 -v -run TestDifferentialPostgres ./cmd/eddy
