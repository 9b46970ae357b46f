#!/usr/bin/env bash
# Runs the kiosk in emulator mode: emulated card, issuance center and
# printer in one process. Extra flags go to `kiosk run`, e.g.
#   scripts/emulator.sh --doc koseki-zenbu --resident R0003
#   scripts/emulator.sh --fault page-swap
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
mkdir -p .cache/bin
go build -o .cache/bin/kiosk ./cmd/kiosk
exec .cache/bin/kiosk run --emulator --autopilot --doc juminhyo --out kofu-out "$@"
