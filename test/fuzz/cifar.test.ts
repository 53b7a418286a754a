import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadCifar10, loadCifar100 } from '../../src/data/cifar.js';
import { cifarRecords, tempDir } from '../data/fixtures.js';
import { fuzzReader, type FuzzTarget } from './harness.js';

const { dir, cleanup } = tempDir('fuzz-cifar');
after(cleanup);

const text = (s: string) => new TextEncoder().encode(s);

/**
 * A valid dataset folder (two records per batch file) in which each case overwrites one file, the test batch
 * (seed 0) or the class-names file (seed 1), and restores it afterwards.
 */
function cifarTarget(kind: 'cifar10' | 'cifar100', gz: boolean): FuzzTarget {
  const root = join(dir, `${kind}${gz ? '-gz' : ''}`);
  mkdirSync(root);
  const ext = gz ? '.gz' : '';
  const plainBatch = kind === 'cifar10' ? cifarRecords([[3], [9]]) : cifarRecords([[19, 99], [0, 5]]);
  const batch = gz ? new Uint8Array(gzipSync(plainBatch)) : plainBatch;
  const names = kind === 'cifar10'
    ? text('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n')
    : text(Array.from({ length: 100 }, (_, i) => `class${i}`).join('\n'));
  const batchFiles = kind === 'cifar10'
    ? ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']
    : ['train.bin', 'test.bin'];
  for (const f of batchFiles) writeFileSync(join(root, f + ext), batch);
  const targets = [join(root, batchFiles[batchFiles.length - 1] + ext),
    join(root, kind === 'cifar10' ? 'batches.meta.txt' : 'fine_label_names.txt')];
  const seeds = [batch, names];
  writeFileSync(targets[1], names);
  const load = kind === 'cifar10' ? loadCifar10 : loadCifar100;
  return {
    name: `${kind}${gz ? '.gz' : ''}`,
    seeds,
    read({ seed, bytes }) {
      writeFileSync(targets[seed], bytes);
      try {
        load(root);
      } finally {
        writeFileSync(targets[seed], seeds[seed]);
      }
    },
    // Compressed batches may expand ~1000x (deflate's limit), and records become HWC pixels of the same size.
    budget: gz ? (input) => (1 << 20) + 2200 * input.bytes.length : undefined,
  };
}

for (const [kind, gz] of [['cifar10', false], ['cifar10', true], ['cifar100', false]] as const)
  test(`fuzz: ${kind}${gz ? ' (gzip)' : ''} batch and class-name files`, () => {
    const report = fuzzReader(cifarTarget(kind, gz));
    assert.ok(report.valid > 0 && report.errors > 0);
  });
