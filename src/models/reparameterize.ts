/**
 * Training-time over-parameterisation and its undoing (structural re-parameterisation, see nn/reparam.ts).
 * `overparameterize` turns a model about to be trained into its multi-branch form; after training, `reparameterize`
 * folds every multi-branch layer back into one convolution, so the deployed model has the original's layers, costs
 * and speed (plus a bias per fused conv) and computes what the trained multi-branch model computes in eval mode.
 */
import { ArgumentError } from '../errors.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d } from '../nn/conv.js';
import type { Module } from '../nn/module.js';
import { RepConv2d, RepSeparableConv2d, type RepOptions } from '../nn/reparam.js';
import { SqueezeExcite } from '../nn/squeeze_excite.js';

/**
 * Replaces, in place, every SeparableConv2d, DepthwiseConv2d, PointwiseConv2d and Conv2d with groups 1 by its
 * multi-branch training form (RepSeparableConv2d, RepConv2d) and returns the model. Convs inside a SqueezeExcite are
 * left alone: they see one pixel per image, too few values for a branch's batch statistics. Each layer's filters
 * start its first branch; the other branches are new, drawn from `options.rng`.
 */
export function overparameterize(model: Module, options: RepOptions = {}): Module {
  replaceEach(model, 'overparameterize', (m) => {
    if (m instanceof SqueezeExcite) return 'skip';
    if (m instanceof SeparableConv2d) return () => new RepSeparableConv2d(m, options);
    if (m instanceof DepthwiseConv2d || m instanceof PointwiseConv2d || (m instanceof Conv2d && m.groups === 1))
      return () => new RepConv2d(m, options);
    return undefined;
  });
  return model;
}

/** Replaces, in place, every RepSeparableConv2d and RepConv2d by its fused layer (`fuse()`), and returns the model. */
export function reparameterize(model: Module): Module {
  replaceEach(model, 'reparameterize', (m) => (m instanceof RepSeparableConv2d || m instanceof RepConv2d ? () => m.fuse() : undefined));
  return model;
}

/**
 * Walks `model` parents first and swaps each module `plan` gives a maker for; the subtree of a swapped (or
 * 'skip'ped) module is not visited.
 */
function replaceEach(model: Module, where: string, plan: (m: Module) => (() => Module) | 'skip' | undefined): void {
  const topLevel = plan(model);
  if (typeof topLevel === 'function')
    throw new ArgumentError(`${where}: the model itself is a ${model.constructor.name}; wrap it in a container (e.g. nn.Sequential) first`);
  if (topLevel === 'skip') return;
  const visit = (parent: Module): void => {
    for (const [name, child] of parent.namedChildren()) {
      const make = plan(child);
      if (make === undefined) visit(child);
      else if (make !== 'skip') parent.replaceModule(name, make());
    }
  };
  visit(model);
}
