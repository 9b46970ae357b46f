#!/usr/bin/env bash
# Installs what kofu's tests and emulator mode need on a Debian machine
# with Go: the Debian packages in scripts/apt-packages.txt and the Go tools
# pinned below. As root it installs what is missing; otherwise it prints
# the exact command to run and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Go tools, pinned by the module version the module proxy serves (a
# release name such as 2026.2.2 is not a module version and is refused).
# `staticcheck -version` prints "staticcheck 2026.2.2 (0.8.2)": the check
# below matches the module version in brackets, what the install produces.
STATICCHECK_VERSION=v0.8.2

missing=()
while read -r pkg _; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < scripts/apt-packages.txt

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing Debian packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

GOBIN=$(go env GOPATH)/bin
if [[ "${1:-}" == "--tools" ]] && ! "$GOBIN/staticcheck" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
  echo "deps: installing staticcheck $STATICCHECK_VERSION" >&2
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
