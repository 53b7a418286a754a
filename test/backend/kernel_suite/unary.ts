/**
 * Activations and their derivatives against the js reference: every length 0..17 (partial SIMD vectors of every
 * width), a wide random range, the kinks where the derivative conventions matter (0, ±3, 6), far tails where exp
 * saturates, and NaN propagation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UnaryKind } from '../../../src/backend/kernels.js';
import { assertClose } from '../../helpers/close.js';
import { js, random, skipUnless, type KernelTarget } from './harness.js';

const kinds: UnaryKind[] = ['relu', 'relu6', 'hardSwish', 'swish', 'sigmoid', 'hardSigmoid', 'tanh', 'leakyRelu'];
const tol = { rtol: 1e-5, atol: 1e-7 };

/** Kinks, tiny values, saturation and the exp clamp of the C code. */
const special = Float32Array.of(0, -0, 3, -3, 6, -6, 2.9999998, -2.9999998, 1e-4, -1e-4, 1e-8, -1e-8, 0.5, -0.5,
  0.99, 1.01, 8.5, -8.5, 17, -17, 20, -20, 40, -40, 88, -88, 100, -100, 1e6, -1e6);

export function unarySuite(target: KernelTarget): void {
  const { name, kernels: k } = target;
  const options = skipUnless(target);

  test(`${name} unary forward and backward: lengths 0..17, random values in [-10, 10], special values`, options, () => {
    for (const kind of kinds)
      for (const alpha of kind === 'leakyRelu' ? [0.01, 0.2] : [0]) {
        const inputs = [...Array.from({ length: 18 }, (_, n) => random(n, n + 1, -10, 10)), random(100_003, 77, -10, 10), special];
        for (const x of inputs) {
          const dy = random(x.length, x.length + 5, -2, 2);
          const what = `${name} ${kind} (alpha ${alpha}, length ${x.length})`;
          assertClose(k.unary(kind, x, alpha), js.unary(kind, x, alpha), tol, `forward ${what}`);
          assertClose(k.unaryBackward(kind, x, dy, alpha), js.unaryBackward(kind, x, dy, alpha), tol, `backward ${what}`);
        }
      }
  });

  test(`${name} unary: NaN and infinities come out where the reference puts them`, options, () => {
    const x = Float32Array.of(NaN, Infinity, -Infinity, 1, NaN);
    const dy = Float32Array.of(1, 1, 1, Infinity, 2);
    for (const kind of kinds) {
      const same = (a: Float32Array, e: Float32Array, what: string): void => {
        for (let i = 0; i < e.length; i++)
          assert.ok(Object.is(a[i], e[i]) || Math.abs(a[i] - e[i]) <= 1e-6 || (a[i] === 0 && e[i] === 0),
            `${name} ${kind} ${what}[${i}] for x=${x[i]}: got ${a[i]}, expected ${e[i]}`);
      };
      same(k.unary(kind, x, 0.1), js.unary(kind, x, 0.1), 'forward');
      same(k.unaryBackward(kind, x, dy, 0.1), js.unaryBackward(kind, x, dy, 0.1), 'backward');
    }
  });
}
