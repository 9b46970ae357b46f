#!/usr/bin/env bash
# Runs `kofu-emu bench`: every performance figure side by side with the
# tool a user would otherwise reach for (OpenSC, Ghostscript) or with its
# target, in one run on this machine. Prints the Markdown table and writes
# the PNG charts to docs/bench/ (override with --out DIR); extra flags go
# to `kofu-emu bench`, e.g.
#   scripts/bench.sh --json
#   scripts/bench.sh --only center,kiosk --out /tmp/bench
# It takes a few minutes: the kiosk figure alone is 1,000 transactions.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
mkdir -p .cache/bin
go build -o .cache/bin/kofu-emu ./cmd/kofu-emu
out=docs/bench
for a in "$@"; do
	if [ "$a" = --out ] || [[ "$a" == --out=* ]]; then
		out=""
	fi
done
if [ -n "$out" ]; then
	set -- --out "$out" "$@"
fi
exec .cache/bin/kofu-emu bench "$@"
