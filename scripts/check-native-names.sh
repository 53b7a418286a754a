#!/usr/bin/env bash
# Checks what the native addon's per-ISA build relies on (binding.gyp, csrc/native/isa_names.h), without node-gyp:
#  1. every kernel source of csrc/ (all but csrc/native/) is in binding.gyp's isa_sources;
#  2. compiled with isa_names.h forced in, those sources define no external symbol without the ISA prefix (else the
#     three ISA libraries clash at link time with "multiple definition of ...").
# Exit 1 with the missing entries listed. Needs cc (or $CC), nm and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cc="${CC:-cc}"

mapfile -t listed < <(python3 - <<'PY'
import ast, re
text = open('binding.gyp').read()
gyp = ast.literal_eval(re.sub(r'(?m)^\s*#.*$', '', text))
print('\n'.join(gyp['variables']['isa_sources']))
PY
)

# A set, not `printf | grep -q`: under pipefail, grep quitting early can kill printf with SIGPIPE and fail the test.
declare -A is_listed
for source in "${listed[@]}"; do is_listed["$source"]=1; done
status=0
while IFS= read -r source; do
  if [ -z "${is_listed[$source]:-}" ]; then
    echo "check-native-names: $source is not in binding.gyp's isa_sources" >&2
    status=1
  fi
done < <(find csrc -path csrc/native -prune -o -name '*.c' -print | LC_ALL=C sort)

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sepconv-names.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for source in "${listed[@]}"; do
  "$cc" -std=c11 -O0 -msse2 -Icsrc/native -include isa_names.h -DSEPCONV_ISA=isa_check -c "$source" \
    -o "$tmp/$(echo "$source" | tr '/' '_').o"
done
unprefixed="$(nm -g --defined-only "$tmp"/*.o | awk 'NF == 3 { print $3 }' | grep -v -e '^isa_check_' -e '^sepconv_isa_isa_check$' | LC_ALL=C sort -u || true)"
if [ -n "$unprefixed" ]; then
  echo "check-native-names: add these to csrc/native/isa_names.h:" >&2
  echo "$unprefixed" | sed 's/^/  /' >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "check-native-names: binding.gyp and isa_names.h cover every kernel source and symbol"
exit "$status"
