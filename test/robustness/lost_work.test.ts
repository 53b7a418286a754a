/**
 * No lost work: an unwritable output folder or a disk too small is reported before training starts, and a
 * checkpoint write that fails mid-run (disk full while writing, a rename refused) leaves the last good checkpoint
 * loadable and the folder free of temporary files, and the run continues with --resume once the problem is fixed.
 * (Killing a run with SIGKILL and resuming is tested in test/cli/train.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { CommandError } from '../../src/cli/output.js';
import { checkFreeSpace, runTraining } from '../../src/cli/training_run.js';
import type { RunConfig } from '../../src/train/run_config.js';
import { DataLoader, ImageDataset } from '../../src/data/index.js';
import { Adam, Random, fit, nn } from '../../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { BIN } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-lost-work-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function errno(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), { code, syscall });
}

/** Makes FileHandle.write fail as on a full disk whenever `full()` says so, until the returned function is called. */
async function failWrites(full: () => boolean = () => true): Promise<() => void> {
  const probe = await fsp.open(BIN, 'r');
  const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
  await probe.close();
  const original = proto.write;
  const m = mock.method(proto, 'write', function (this: unknown, ...args: unknown[]) {
    if (full()) return Promise.reject(errno('ENOSPC', 'write'));
    return original.apply(this, args);
  });
  return () => m.mock.restore();
}

/** Makes fs/promises rename fail (as for a folder made read-only), including for modules that imported it by name. */
function failRenames(): () => void {
  const m = mock.method(fsp, 'rename', async () => {
    throw errno('EACCES', 'rename');
  });
  syncBuiltinESMExports();
  return () => {
    m.mock.restore();
    syncBuiltinESMExports();
  };
}

function tinyRun() {
  const rng = new Random(1);
  const model = new nn.Sequential(
    new nn.Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 'same', rng }),
    new nn.ReLU(),
    new nn.GlobalAvgPool2d(),
    new nn.Linear({ inFeatures: 2, outFeatures: 2, rng }),
  );
  const data = new ImageDataset({ pixels: Uint8Array.from({ length: 16 * 16 }, (_, i) => (i * 29) % 256),
    labels: Int32Array.from({ length: 16 }, (_, i) => i % 2), imageShape: [4, 4, 1], numClasses: 2 });
  return { model, optimizer: new Adam(model.parameters(), { lr: 0.01 }), train: new DataLoader(data, { batchSize: 4, seed: 1 }) };
}

for (const [what, breakFs] of [['a write fails (disk full)', () => failWrites()], ['the rename fails', failRenames]] as const)
  test(`when ${what} after the first checkpoint, the first checkpoint stays intact and no temporary file is left`, async () => {
    const folder = mkdtempSync(join(dir, 'fit-'));
    const path = join(folder, 'checkpoint.safetensors');
    let restore: (() => void) | undefined;
    let saves = 0;
    try {
      await assert.rejects(fit({
        ...tinyRun(), epochs: 2, numClasses: 2, checkpointEverySteps: 1, config: { run: 'tiny' },
        saveCheckpoint: async (c) => {
          await saveCheckpoint(path, c);
          saves++;
          restore ??= await breakFs(); // every later checkpoint fails
        },
      }), /simulated failure/);
    } finally {
      restore?.();
    }
    assert.equal(saves, 1);
    const ckpt = await loadCheckpoint(path);
    assert.equal(ckpt.step, 1);
    assert.deepEqual(ckpt.config, { run: 'tiny' });
    assert.deepEqual(readdirSync(folder), ['checkpoint.safetensors']);
  });

const CONFIG: RunConfig = {
  model: 'small_cnn', separable: false, width: 4, data: 'mnist', epochs: 1, batch: 32, lr: 0.01, optimizer: 'adam',
  schedule: 'cosine', warmupEpochs: 0.1, weightDecay: 0, momentum: 0.9, labelSmoothing: 0, seed: 3, limit: 256,
  augment: { cropPadding: 0, horizontalFlip: false },
};

test('sepconv train: a full disk mid-run is a one-line error that keeps the last checkpoint, and --resume finishes', async () => {
  const outDir = join(dir, 'cli-run');
  const path = join(outDir, 'checkpoint.safetensors');
  const progress = { write: () => true };
  // The disk "fills up" once the first periodic checkpoint (after step 2 of 8) is on it.
  const restore = await failWrites(() => existsSync(path));
  try {
    await assert.rejects(runTraining(CONFIG, { outDir, resume: false, progress, checkpointEverySteps: 2 }), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.message, `cannot write '${path}' (ENOSPC); the last checkpoint in its folder is intact: free space ` +
        'or fix the permissions, then continue with --resume');
      return true;
    });
  } finally {
    restore();
  }
  assert.equal((await loadCheckpoint(path)).step, 2);
  assert.deepEqual(readdirSync(outDir).sort(), ['checkpoint.safetensors', 'log.jsonl']);
  const resumed = await runTraining(CONFIG, { outDir, resume: true, progress });
  assert.ok(resumed.completed);
  assert.equal((await loadCheckpoint(path)).step, 8);
});

test('sepconv train refuses an unwritable output folder before training', () => {
  const folder = join(dir, 'read-only');
  mkdirSync(folder);
  chmodSync(folder, 0o555);
  // Root may write anywhere, so as root the command runs as the unprivileged user 'nobody'.
  const asNobody = process.getuid?.() === 0;
  if (asNobody) chmodSync(dir, 0o755); // so that 'nobody' reaches the read-only folder itself
  const r = spawnSync(process.execPath, [BIN, 'train', '--limit', '64', '--out', join(folder, 'run')], {
    encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' }, ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
  });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `sepconv train: CommandError: cannot write to output folder '${join(folder, 'run')}' (EACCES); ` +
    'choose another with --out, or free space / fix its permissions\n');
});

test('a file system with less free space than two checkpoints is reported before training', () => {
  assert.throws(() => checkFreeSpace(dir, Number.MAX_SAFE_INTEGER / 4), (e: unknown) =>
    e instanceof CommandError && /^output folder '.*' has [\d.]+ [KM]B free but checkpoints need about [\d.]+ MB \(the new one is written before the old one is replaced\); free some space or choose another folder with --out$/.test(e.message));
  assert.doesNotThrow(() => checkFreeSpace(dir, 1024));
});
