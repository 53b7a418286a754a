#!/usr/bin/env bash
# Builds wasm/sepconv.wasm and its threaded twin wasm/sepconv-mt.wasm from the C kernels in csrc/ with Debian's
# clang and lld (no emscripten, no libc):
#   apt-get install -y clang lld && scripts/build-wasm.sh [output]   (the twin goes to <output minus .wasm>-mt.wasm)
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

# Sorted so the link order, and so the bytes, never depend on the file system. csrc/native/ is the Node addon's
# glue (Node-API, threads), built by node-gyp only.
mapfile -t sources < <(find csrc -path csrc/native -prune -o -name '*.c' -print | LC_ALL=C sort)

# Two builds of the same sources: sepconv.wasm (own memory, one thread: the wasm backend and single-threaded plans)
# and sepconv-mt.wasm (imports a shared memory and exports its stack pointer, so compiled plans can run one instance
# per worker thread on the same memory).
out_mt="${out%.wasm}-mt.wasm"
common=(--target=wasm32 -std=c11 -O3 -msimd128 -mbulk-memory -mnontrapping-fptoint -Wall -Wextra -Wno-unknown-pragmas
  -nostdlib -fuse-ld="$linker" -Wl,--no-entry -Wl,--export-dynamic -Wl,--export=__heap_base -Wl,--strip-all
  -Wl,-z,stack-size=65536)
threaded=(-matomics -mmutable-globals -Wl,--shared-memory -Wl,--import-memory -Wl,--max-memory=2147483648
  -Wl,--export=__stack_pointer)

tmp="$(mktemp "${TMPDIR:-/tmp}/sepconv-wasm.XXXXXX")"
tmp_mt="$(mktemp "${TMPDIR:-/tmp}/sepconv-wasm-mt.XXXXXX")"
trap 'rm -f "$tmp" "$tmp_mt"' EXIT

"$clang" "${common[@]}" -o "$tmp" "${sources[@]}"
"$clang" "${common[@]}" "${threaded[@]}" -o "$tmp_mt" "${sources[@]}"

mkdir -p "$(dirname "$out")"
chmod 644 "$tmp" "$tmp_mt"
mv "$tmp" "$out"
mv "$tmp_mt" "$out_mt"
trap - EXIT
echo "build-wasm: wrote $out ($(wc -c <"$out") bytes) and $out_mt ($(wc -c <"$out_mt") bytes) with $("$clang" --version | head -n 1)"
