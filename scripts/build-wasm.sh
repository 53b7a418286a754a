#!/usr/bin/env bash
# Builds wasm/sepconv.wasm from the C kernels in csrc/ with Debian's clang and lld (no emscripten, no libc):
#   apt-get install -y clang lld && scripts/build-wasm.sh [output]
# The output is deterministic (same source and compiler => same bytes); scripts/check-wasm-fresh.sh relies on it.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-wasm/sepconv.wasm}"
clang="${CLANG:-clang}"

if ! command -v "$clang" >/dev/null 2>&1; then
  echo "build-wasm: '$clang' not found; install it with: apt-get install -y clang lld" >&2
  exit 1
fi

# clang looks for a linker called wasm-ld; Debian may only ship a versioned one.
linker="$(command -v wasm-ld || true)"
if [ -z "$linker" ]; then
  linker="$(ls /usr/lib/llvm-*/bin/wasm-ld /usr/bin/wasm-ld-* 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [ -z "$linker" ]; then
  echo "build-wasm: wasm-ld not found; install it with: apt-get install -y lld" >&2
  exit 1
fi

# Sorted so the link order, and so the bytes, never depend on the file system.
mapfile -t sources < <(find csrc -name '*.c' | LC_ALL=C sort)

tmp="$(mktemp "${TMPDIR:-/tmp}/sepconv-wasm.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

"$clang" --target=wasm32 -std=c11 -O3 -msimd128 -mbulk-memory -mnontrapping-fptoint \
  -Wall -Wextra -Wno-unknown-pragmas \
  -nostdlib -fuse-ld="$linker" \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--export=__heap_base -Wl,--strip-all -Wl,-z,stack-size=65536 \
  -o "$tmp" "${sources[@]}"

mkdir -p "$(dirname "$out")"
chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "build-wasm: wrote $out ($(wc -c <"$out") bytes) with $("$clang" --version | head -n 1)"
