#!/usr/bin/env bash
# Fails (exit 1) when the committed wasm/sepconv.wasm is not what csrc/ builds to: run in CI after any C change.
set -euo pipefail
cd "$(dirname "$0")/.."

committed="wasm/sepconv.wasm"
fresh="$(mktemp "${TMPDIR:-/tmp}/sepconv-wasm-fresh.XXXXXX")"
trap 'rm -f "$fresh"' EXIT

scripts/build-wasm.sh "$fresh" >/dev/null

if [ ! -f "$committed" ]; then
  echo "check-wasm-fresh: $committed is missing; run scripts/build-wasm.sh and commit the result" >&2
  exit 1
fi
if ! cmp -s "$fresh" "$committed"; then
  echo "check-wasm-fresh: $committed is stale: csrc/ builds to different bytes" \
    "($(wc -c <"$fresh") vs $(wc -c <"$committed") committed); run scripts/build-wasm.sh and commit the result" >&2
  exit 1
fi
echo "check-wasm-fresh: $committed matches csrc/"
