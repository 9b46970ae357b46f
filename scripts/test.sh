#!/usr/bin/env bash
# Runs every test: formatting, vet, staticcheck, the build without cgo,
# the whole test suite, the clock sweep (scripts/clock-sweep.sh: the
# time-sensitive tests at instants over a week and a year, in several
# time zones) and a short pass of every fuzz target.
# FUZZTIME (default 5s) sets the length of each fuzz pass (scripts/fuzz.sh);
# `make fuzz-long` runs a long one without the rest of the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --tools
GOBIN=$(go env GOPATH)/bin
FUZZTIME=${FUZZTIME:-5s}

step() { printf '\n== %s\n' "$*" >&2; }

step gofmt
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then echo "not gofmt-formatted:"; echo "$unformatted"; exit 1; fi

step go vet
go vet ./...

step staticcheck
"$GOBIN/staticcheck" ./...

step "build without cgo"
CGO_ENABLED=0 go build ./...

step "go test"
go test -count=1 -timeout 20m ./...

step "clock sweep: the time-sensitive tests at instants over a week and a year"
scripts/clock-sweep.sh

step "fuzz: ${FUZZTIME} per target"
scripts/fuzz.sh "$FUZZTIME"
echo "all tests passed" >&2
