/**
 * wasm activations and their derivatives against the js reference: every length 0..9 (partial SIMD vectors), a
 * wide random range, the kinks where the derivative conventions matter (0, ±3, 6), far tails where exp saturates,
 * and NaN propagation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnaryKind } from '../../../src/backend/kernels.js';
import { assertClose } from '../../helpers/close.js';
import { js, random, wasm } from './harness.js';

const kinds: UnaryKind[] = ['relu', 'relu6', 'hardSwish', 'swish', 'sigmoid', 'hardSigmoid', 'tanh', 'leakyRelu'];
const tol = { rtol: 1e-5, atol: 1e-7 };

/** Kinks, tiny values, saturation and the exp clamp of the C code. */
const special = Float32Array.of(0, -0, 3, -3, 6, -6, 2.9999998, -2.9999998, 1e-4, -1e-4, 1e-8, -1e-8, 0.5, -0.5,
  0.99, 1.01, 8.5, -8.5, 17, -17, 20, -20, 40, -40, 88, -88, 100, -100, 1e6, -1e6);

test('unary forward and backward: lengths 0..9, random values in [-10, 10], special values', () => {
  for (const kind of kinds)
    for (const alpha of kind === 'leakyRelu' ? [0.01, 0.2] : [0]) {
      const inputs = [...Array.from({ length: 10 }, (_, n) => random(n, n + 1, -10, 10)), random(1003, 77, -10, 10), special];
      for (const x of inputs) {
        const dy = random(x.length, x.length + 5, -2, 2);
        const what = `${kind} (alpha ${alpha}, length ${x.length})`;
        assertClose(wasm.unary(kind, x, alpha), js.unary(kind, x, alpha), tol, `forward ${what}`);
        assertClose(wasm.unaryBackward(kind, x, dy, alpha), js.unaryBackward(kind, x, dy, alpha), tol, `backward ${what}`);
      }
    }
});

test('unary: NaN and infinities come out where the reference puts them', () => {
  const x = Float32Array.of(NaN, Infinity, -Infinity, 1, NaN);
  const dy = Float32Array.of(1, 1, 1, Infinity, 2);
  for (const kind of kinds) {
    const same = (a: Float32Array, e: Float32Array, what: string): void => {
      for (let i = 0; i < e.length; i++)
        assert.ok(Object.is(a[i], e[i]) || Math.abs(a[i] - e[i]) <= 1e-6 || (a[i] === 0 && e[i] === 0),
          `${kind} ${what}[${i}] for x=${x[i]}: got ${a[i]}, expected ${e[i]}`);
    };
    same(wasm.unary(kind, x, 0.1), js.unary(kind, x, 0.1), 'forward');
    same(wasm.unaryBackward(kind, x, dy, 0.1), js.unaryBackward(kind, x, dy, 0.1), 'backward');
  }
});
