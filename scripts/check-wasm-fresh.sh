#!/usr/bin/env bash
# Fails (exit 1) when the committed wasm/sepconv.wasm or wasm/sepconv-mt.wasm is not what csrc/ builds to: run in CI
# after any C change.
set -euo pipefail
cd "$(dirname "$0")/.."

fresh="$(mktemp "${TMPDIR:-/tmp}/sepconv-wasm-fresh.XXXXXX")"
trap 'rm -f "$fresh" "$fresh-mt.wasm"' EXIT

scripts/build-wasm.sh "$fresh" >/dev/null

for pair in "wasm/sepconv.wasm:$fresh" "wasm/sepconv-mt.wasm:$fresh-mt.wasm"; do
  committed="${pair%%:*}"
  built="${pair#*:}"
  if [ ! -f "$committed" ]; then
    echo "check-wasm-fresh: $committed is missing; run scripts/build-wasm.sh and commit the result" >&2
    exit 1
  fi
  if ! cmp -s "$built" "$committed"; then
    echo "check-wasm-fresh: $committed is stale: csrc/ builds to different bytes" \
      "($(wc -c <"$built") vs $(wc -c <"$committed") committed); run scripts/build-wasm.sh and commit the result" >&2
    exit 1
  fi
  echo "check-wasm-fresh: $committed matches csrc/"
done
