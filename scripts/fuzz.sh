#!/usr/bin/env bash
# Runs every fuzz target of the module, one after the other, for FUZZTIME
# each (default 5s), and prints a table: package, target, result, execs,
# new interesting inputs and the size of the cached corpus.
#
#   scripts/fuzz.sh [FUZZTIME] [PACKAGE...]
#   scripts/fuzz.sh 5m                 # the long pass (`make fuzz-long`)
#   scripts/fuzz.sh 30s ./printer/...  # some packages only
#
# Each target starts from its seeds (f.Add) and its committed corpus
# (testdata/fuzz/<Target>/); inputs that reach new code are kept in Go's
# fuzz cache ($(go env GOCACHE)/fuzz), so later passes start from there.
# A failing input is written to testdata/fuzz/<Target>/ by go test: commit
# it with the fix, and it becomes a regression test of the plain suite.
# FUZZMINIMIZETIME (default 2s) bounds the minimisation of new inputs so a
# short pass stays short. Exit status 1 if any target failed; a pass that
# Go's coordinator ended with its own deadline and no failing input (a Go
# 1.26 race, shown as "race") is not a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${1:-5s}
shift || true
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-2s}
pkgs=("$@")
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(./...)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
rows=()
failed=0

# Only packages whose test files declare a fuzz target are compiled.
while read -r pkg dir; do
  grep -qs '^func Fuzz' "$dir"/*_test.go || continue
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    log="$logs/${pkg//\//_}.$target.log"
    echo "fuzz $pkg $target ($FUZZTIME)" >&2
    start=$SECONDS
    if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" \
      -fuzzminimizetime="$FUZZMINIMIZETIME" "$pkg" >"$log" 2>&1; then
      result=ok
    elif grep -q '^    context deadline exceeded$' "$log" && ! grep -q 'Failing input written' "$log"; then
      # Go 1.26's coordinator can report its own -fuzztime deadline as a
      # failure when a worker is busy at that instant (go.dev/issue/75804,
      # fixed in Go 1.27): no input failed and none was written.
      result=race
    else
      result=FAIL
      failed=1
      tail -n 40 "$log" >&2
    fi
    # The fuzzer's last progress line: "fuzz: elapsed: 5s, execs: 1234
    # (246/sec), new interesting: 3 (total: 17)".
    last=$(grep -E '^fuzz: elapsed: .*execs:' "$log" | tail -n 1 || true)
    execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
    newi=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
    total=$(sed -nE 's/.*\(total: ([0-9]+)\).*/\1/p' <<<"$last")
    rows+=("$(printf '%-28s %-22s %-5s %10s %6s %7s %5ss' "${pkg#kofu/}" "$target" "$result" \
      "${execs:--}" "${newi:--}" "${total:--}" "$((SECONDS - start))")")
  done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' "${pkgs[@]}")

printf '\n%-28s %-22s %-5s %10s %6s %7s %6s\n' package target res execs new corpus time
printf '%s\n' "${rows[@]}"
if [[ $failed -ne 0 ]]; then
  echo "fuzz: some targets FAILED (failing inputs are under the package's testdata/fuzz/)" >&2
  exit 1
fi
echo "fuzz: ${#rows[@]} targets passed, $FUZZTIME each" >&2
