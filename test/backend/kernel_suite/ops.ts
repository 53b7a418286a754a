/**
 * Op-level runs on a backend: the same ops (forward and every gradient) computed with setBackend(target) and
 * setBackend('js') agree, and finite differences confirm the target's gradients, for every op with a kernel:
 * conv2d, depthwiseConv2d, pointwiseConv2d, linear, activations, pooling and batch norm.
 */
import { after, test } from 'node:test';
import { getBackend, setBackend } from '../../../src/backend/registry.js';
import * as ops from '../../../src/ops/index.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';
import { checkGradients, randomTensor } from '../../helpers/gradcheck.js';
import { skipUnless, type KernelTarget } from './harness.js';

type Op = (...xs: Tensor[]) => Tensor;

/** `target.name` must be a registered backend. */
export function opsSuite(target: KernelTarget): void {
  const { name } = target;
  const options = skipUnless(target);
  const initial = getBackend();
  after(() => setBackend(initial));

  /** Forward value and the gradient of every input under `backend`, for a fixed output seed. */
  function run(backend: string, f: Op, inputs: Tensor[]): Float32Array[] {
    setBackend(backend);
    try {
      const xs = inputs.map((t) => new Tensor(t.data.slice(), t.shape, true));
      const y = f(...xs);
      y.backward(randomTensor([...y.shape], 99));
      return [y.data.slice(), ...xs.map((x) => x.grad?.data.slice() ?? new Float32Array(x.size))];
    } finally {
      setBackend(initial);
    }
  }

  function checkOp(what: string, f: Op, inputs: Tensor[], gradcheck = true): void {
    const onTarget = run(name, f, inputs);
    const onJs = run('js', f, inputs);
    onTarget.forEach((a, i) =>
      assertClose(a, onJs[i], { rtol: 1e-5, atol: 1e-5 }, `${name} ${what} ${i === 0 ? 'output' : `grad ${i - 1}`}`));
    if (!gradcheck) return;
    setBackend(name);
    try {
      checkGradients(f, inputs, { rtol: 2e-2, atol: 2e-3 });
    } finally {
      setBackend(initial);
    }
  }

  test(`${name}: conv2d, depthwiseConv2d and pointwiseConv2d values and gradients`, options, () => {
    const x = randomTensor([2, 5, 6, 3], 1);
    checkOp('conv2d 3x3 s2 same', (a, w, b) => ops.conv2d(a, w, b, { stride: 2, padding: 'same' }),
      [x, randomTensor([3, 3, 3, 5], 2), randomTensor([5], 3)]);
    checkOp('conv2d groups 3', (a, w) => ops.conv2d(a, w, null, { groups: 3, padding: [1, 0, 0, 1] }),
      [x, randomTensor([3, 3, 1, 6], 4)]);
    checkOp('depthwiseConv2d 3x3 same', (a, w, b) => ops.depthwiseConv2d(a, w, b, { padding: 'same' }),
      [x, randomTensor([3, 3, 3], 5), randomTensor([3], 6)]);
    checkOp('depthwiseConv2d 5x5 s2 dilation-free', (a, w) => ops.depthwiseConv2d(a, w, null, { stride: 2, padding: 'same' }),
      [x, randomTensor([5, 5, 3], 7)]);
    checkOp('depthwiseConv2d multiplier 2, dilation 2', (a, w) => ops.depthwiseConv2d(a, w, null, { dilation: 2, padding: 'same' }),
      [x, randomTensor([3, 3, 6], 8)]);
    checkOp('pointwiseConv2d', (a, w, b) => ops.pointwiseConv2d(a, w, b), [x, randomTensor([3, 9], 9), randomTensor([9], 10)]);
  });

  test(`${name}: linear and matmul values and gradients`, options, () => {
    checkOp('linear', (a, w, b) => ops.linear(a, w, b), [randomTensor([5, 7], 11), randomTensor([7, 3], 12), randomTensor([3], 13)]);
    checkOp('matmul', (a, b) => ops.matmul(a, b), [randomTensor([9, 4], 14), randomTensor([4, 10], 15)]);
  });

  test(`${name}: activations values and gradients`, options, () => {
    const x = randomTensor([3, 7], 16, -4, 4);
    const activations: [string, Op][] = [
      ['relu', ops.relu], ['relu6', ops.relu6], ['hardSwish', ops.hardSwish], ['swish', ops.swish],
      ['sigmoid', ops.sigmoid], ['hardSigmoid', ops.hardSigmoid], ['tanh', ops.tanh],
      ['leakyRelu', (a) => ops.leakyRelu(a, 0.1)],
    ];
    for (const [what, f] of activations) checkOp(what, f, [x]);
  });

  test(`${name}: pooling values and gradients`, options, () => {
    const x = randomTensor([2, 6, 5, 5], 17);
    checkOp('maxPool2d 3x3 s2 same', (a) => ops.maxPool2d(a, { kernelSize: 3, stride: 2, padding: 'same' }), [x]);
    checkOp('avgPool2d 2x2', (a) => ops.avgPool2d(a, { kernelSize: 2 }), [x]);
    checkOp('avgPool2d 3x3 s1 same, countIncludePad',
      (a) => ops.avgPool2d(a, { kernelSize: 3, stride: 1, padding: 'same', countIncludePad: true }), [x]);
    checkOp('globalAvgPool2d', (a) => ops.globalAvgPool2d(a), [x]);
  });

  test(`${name}: batch norm in training and eval mode, values and gradients`, options, () => {
    const x = randomTensor([2, 4, 3, 5], 30, -2, 3);
    const stats = (): { runningMean: Tensor; runningVar: Tensor } =>
      ({ runningMean: randomTensor([5], 31, -0.5, 0.5), runningVar: randomTensor([5], 32, 0.5, 2) });
    for (const training of [true, false])
      checkOp(`batchNorm2d training=${training}`,
        (a, gamma, beta) => ops.batchNorm2d(a, { gamma, beta, ...stats(), training }),
        [x, randomTensor([5], 33, 0.5, 1.5), randomTensor([5], 34)]);
  });

  test(`${name}: a separable block (depthwise, batch norm, relu6, pointwise, pool, linear) trains the same as js`, options, () => {
    const block: Op = (a, dw, gamma, beta, pw, fc) => {
      const d = ops.depthwiseConv2d(a, dw, null, { stride: 2, padding: 'same' });
      const h = ops.relu6(ops.batchNorm2d(d, { gamma, beta, runningMean: Tensor.zeros([8]), runningVar: Tensor.full([8], 1), training: true }));
      return ops.linear(ops.globalAvgPool2d(ops.hardSwish(ops.pointwiseConv2d(h, pw, null))), fc, null);
    };
    checkOp('separable block', block, [randomTensor([2, 9, 9, 8], 20), randomTensor([3, 3, 8], 21),
      randomTensor([8], 24, 0.5, 1.5), randomTensor([8], 25), randomTensor([8, 12], 22), randomTensor([12, 4], 23)], false);
  });
}
