/**
 * The native build's bookkeeping (scripts/check-native-names.sh): every kernel source is in binding.gyp and every
 * external symbol gets its ISA prefix from csrc/native/isa_names.h. A miss would only show as a failed addon build
 * at install (and a quiet fallback to wasm), so it is checked here; skipped where there is no C compiler.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../../scripts/check-native-names.sh', import.meta.url));
const missingTool = ['cc', 'nm', 'python3'].find((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);

test('binding.gyp lists every kernel source and isa_names.h prefixes every kernel symbol',
  missingTool === undefined ? {} : { skip: `${missingTool} is not installed` }, () => {
    const r = spawnSync('bash', [script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
