import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';
import { conformanceDir, listConformanceCases, loadConformanceCase } from '../../helpers/conformance.js';

for (const name of listConformanceCases()) {
  test(`conformance ${name}: imported model matches the expected outputs`, () => {
    const c = loadConformanceCase(name);
    const model = importOnnx(readFileSync(join(conformanceDir(), name, 'model.onnx')));
    const feeds = Object.fromEntries(c.inputs.map((i) => [i.name, new Tensor(i.data, i.dims)]));
    const out = model.run(feeds);
    for (const o of c.outputs) {
      const got = out[o.name];
      assertClose(got.data, o.data, { rtol: 1e-5, atol: 1e-5 }, `${name} ${o.name} [${got.shape}] vs [${o.dims}]`);
    }
  });
}
