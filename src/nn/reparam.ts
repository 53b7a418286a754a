/**
 * Structural re-parameterisation (RepVGG, Ding et al. 2021; MobileOne, Vasu et al. 2023). While it trains, a
 * convolution is a sum of parallel branches, each a convolution followed by its own batch norm: `branches` copies of
 * the KxK conv, a 1x1 "scale" conv, and a batch-norm-only identity. In eval mode every branch is linear in its input,
 * so `fuse()` folds them into the one convolution, with a bias, that the deployed model runs. The branches change how
 * the weights are optimised (each branch is normalised by its own batch statistics), not what the trained layer
 * costs.
 */
import { ArgumentError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { resolvePadding } from '../ops/padding.js';
import { globalRandom, Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { BatchNorm2d } from './batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d } from './conv.js';
import { kaimingNormal } from './init.js';
import { Module } from './module.js';

/** The convolutions a RepConv2d can stand for (a Conv2d with groups 1). */
export type RepConvTemplate = Conv2d | DepthwiseConv2d | PointwiseConv2d;

export interface RepOptions {
  /** Parallel copies of the layer's own conv (MobileOne's k). Default 1. */
  branches?: number;
  /** Initialisation of the new branches (kaiming-normal, fan_out, as torchvision). Default the library-wide generator. */
  rng?: Random;
}

/** A conv followed by its batch norm: one branch. */
class ConvBn extends Module {
  constructor(readonly conv: RepConvTemplate, readonly bn: BatchNorm2d) {
    super();
    this.registerModule('conv', conv);
    this.registerModule('bn', bn);
  }

  forward(x: Tensor): Tensor {
    return this.bn.call(this.conv.call(x));
  }
}

/**
 * The training-time form of a convolution `template` (standard with groups 1, depthwise, or pointwise): children
 * conv0..conv{k-1} (conv + bn, conv0 starting from the template's filters, the others freshly initialised), `scale`
 * (a 1x1 conv + bn, for kernels larger than 1x1) and `skip` (a batch norm, when input and output line up: stride 1
 * and as many output channels as input ones). Scale and skip need a centred window (odd kernel, padding of half the
 * dilated kernel on every side), so that the 1x1 tap and the identity sit on the kernel's centre; layers without one
 * get the KxK branches only.
 */
export class RepConv2d extends Module {
  readonly kind: 'standard' | 'depthwise' | 'pointwise';
  readonly inChannels: number;
  readonly outChannels: number;
  private readonly template: RepConvTemplate;
  private readonly branchList: Module[] = [];

  constructor(template: RepConvTemplate, options: RepOptions = {}) {
    super();
    const k = options.branches ?? 1;
    if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`RepConv2d: branches must be an integer >= 1, got ${k}`);
    const rng = options.rng ?? globalRandom;
    this.template = template;
    if (template instanceof Conv2d) {
      if (template.groups !== 1)
        throw new ArgumentError(`RepConv2d: a grouped Conv2d (groups ${template.groups}) has no re-parameterised form here; ` +
          'use DepthwiseConv2d for one filter per channel');
      this.kind = 'standard';
    } else this.kind = template instanceof DepthwiseConv2d ? 'depthwise' : 'pointwise';
    this.inChannels = template instanceof DepthwiseConv2d ? template.channels : template.inChannels;
    this.outChannels = template.outChannels;

    for (let i = 0; i < k; i++) {
      const conv = this.makeConv(false, 'same-kernel', rng);
      if (i === 0) conv.weight.data.set(template.weight.data);
      else kaimingNormal(conv.weight, { mode: 'fanOut', rng });
      this.branchList.push(this.registerModule(`conv${i}`, new ConvBn(conv, new BatchNorm2d({ numFeatures: this.outChannels }))));
    }
    const [kh, kw] = this.kernelSize;
    if (centred(template)) {
      if (kh * kw > 1) {
        const conv = this.makeConv(false, '1x1', rng);
        kaimingNormal(conv.weight, { mode: 'fanOut', rng });
        this.branchList.push(this.registerModule('scale', new ConvBn(conv, new BatchNorm2d({ numFeatures: this.outChannels }))));
      }
      if (this.stride[0] === 1 && this.stride[1] === 1 && this.inChannels === this.outChannels)
        this.branchList.push(this.registerModule('skip', new BatchNorm2d({ numFeatures: this.outChannels })));
    }
  }

  get kernelSize(): [number, number] {
    return this.template instanceof PointwiseConv2d ? [1, 1] : this.template.kernelSize;
  }

  get stride(): [number, number] {
    return this.template instanceof PointwiseConv2d ? [1, 1] : this.template.stride;
  }

  forward(x: Tensor): Tensor {
    let y = this.branchList[0].call(x);
    for (let i = 1; i < this.branchList.length; i++) y = add(y, this.branchList[i].call(x));
    return y;
  }

  /**
   * The single convolution (with a bias) computing what this layer computes in eval mode: each branch's batch norm
   * (running statistics) scales its filters and becomes a bias, the 1x1 filter goes to the kernel's centre tap, the
   * identity to the centre tap's own channel. It keeps this layer's training mode.
   */
  fuse(): RepConvTemplate {
    // Its initial weights are overwritten: a private generator keeps the library-wide one's sequence untouched.
    const fused = this.makeConv(true, 'same-kernel', new Random(0));
    const w = fused.weight.data;
    const b = fused.bias!.data;
    w.fill(0);
    b.fill(0);
    const [kh, kw] = this.kernelSize;
    // Every weight layout here is [KH, KW, R, Cout]: R = Cin (standard, pointwise) or 1 (depthwise).
    const r = this.kind === 'depthwise' ? 1 : this.inChannels;
    const o = this.outChannels;
    for (const branch of this.branchList) {
      const bn = branch instanceof ConvBn ? branch.bn : (branch as BatchNorm2d);
      const { scale, shift } = bn.evalAffine();
      for (let c = 0; c < o; c++) b[c] += shift[c];
      if (branch instanceof ConvBn) {
        const [bh, bw] = branch.conv instanceof PointwiseConv2d ? [1, 1] : branch.conv.kernelSize;
        const src = branch.conv.weight.data;
        const dy = (kh - bh) / 2;
        const dx = (kw - bw) / 2;
        for (let y = 0; y < bh; y++)
          for (let x = 0; x < bw; x++)
            for (let i = 0; i < r; i++) {
              const from = ((y * bw + x) * r + i) * o;
              const to = (((y + dy) * kw + x + dx) * r + i) * o;
              for (let c = 0; c < o; c++) w[to + c] += scale[c] * src[from + c];
            }
      } else {
        const centre = (((kh - 1) / 2) * kw + (kw - 1) / 2) * r * o;
        for (let c = 0; c < o; c++) w[centre + (r === 1 ? 0 : c) * o + c] += scale[c];
      }
    }
    fused.train(this.training);
    return fused;
  }

  /** A conv of the template's kind and geometry: its own kernel, or 1x1 (with no padding) for the scale branch. */
  private makeConv(bias: boolean, kernel: 'same-kernel' | '1x1', rng: Random): RepConvTemplate {
    const t = this.template;
    if (t instanceof PointwiseConv2d) return new PointwiseConv2d({ inChannels: t.inChannels, outChannels: t.outChannels, bias, rng });
    const window = kernel === '1x1'
      ? { kernelSize: 1, stride: t.stride, padding: 'valid' as const }
      : { kernelSize: t.kernelSize, stride: t.stride, padding: t.padding, dilation: t.dilation };
    return t instanceof DepthwiseConv2d
      ? new DepthwiseConv2d({ channels: t.channels, depthMultiplier: t.depthMultiplier, ...window, bias, rng })
      : new Conv2d({ inChannels: t.inChannels, outChannels: t.outChannels, ...window, bias, rng });
  }

  protected override extraRepr(): string {
    return `${this.kind} ${this.inChannels} -> ${this.outChannels}, kernelSize=${this.kernelSize.join('x')}, branches: ` +
      this.namedChildren().map(([name]) => name).join(', ');
  }
}

/**
 * The training-time form of a SeparableConv2d: its depthwise and pointwise convs become RepConv2d layers (so each
 * branch has its own batch norm, and the template's batch norm between them, if any, is not needed), its activation
 * stays between them. `fuse()` gives back a SeparableConv2d with biases on both convs and no batch norm.
 */
export class RepSeparableConv2d extends Module {
  readonly depthwise: RepConv2d;
  readonly act: Module | null;
  readonly pointwise: RepConv2d;
  private readonly template: SeparableConv2d;

  constructor(template: SeparableConv2d, options: RepOptions = {}) {
    super();
    this.template = template;
    this.depthwise = this.registerModule('depthwise', new RepConv2d(template.depthwise, options));
    this.act = template.act === null ? null : this.registerModule('act', template.act);
    this.pointwise = this.registerModule('pointwise', new RepConv2d(template.pointwise, options));
  }

  forward(x: Tensor): Tensor {
    let y = this.depthwise.call(x);
    if (this.act !== null) y = this.act.call(y);
    return this.pointwise.call(y);
  }

  /** The SeparableConv2d computing what this layer computes in eval mode. */
  fuse(): SeparableConv2d {
    const dw = this.template.depthwise;
    const fused = new SeparableConv2d({
      inChannels: dw.channels, outChannels: this.pointwise.outChannels, kernelSize: dw.kernelSize, stride: dw.stride,
      padding: dw.padding, dilation: dw.dilation, depthMultiplier: dw.depthMultiplier, bias: true, depthwiseBias: true,
      activation: this.act, rng: new Random(0), // overwritten below
    });
    for (const [part, rep] of [[fused.depthwise, this.depthwise], [fused.pointwise, this.pointwise]] as const) {
      const conv = rep.fuse();
      part.weight.data.set(conv.weight.data);
      part.bias!.data.set(conv.bias!.data);
    }
    fused.train(this.training);
    return fused;
  }
}

/** A layer whose window puts the kernel's centre tap on the output pixel's own input pixel. */
function centred(conv: RepConvTemplate): boolean {
  if (conv instanceof PointwiseConv2d) return true;
  const [kh, kw] = conv.kernelSize;
  const [dh, dw] = conv.dilation;
  if (kh % 2 === 0 || kw % 2 === 0) return false;
  // 'same' pads asymmetrically when the stride does not divide the input; with stride 1 it is centred.
  if (conv.padding === 'same') return conv.stride[0] === 1 && conv.stride[1] === 1;
  const pads = resolvePadding(conv.padding, 1, 1, kh, kw, 1, 1, dh, dw, 'RepConv2d');
  return pads.top === pads.bottom && pads.top === (dh * (kh - 1)) / 2 && pads.left === pads.right && pads.left === (dw * (kw - 1)) / 2;
}
