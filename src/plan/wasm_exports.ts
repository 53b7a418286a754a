/**
 * The fused-kernel exports of wasm/sepconv.wasm (csrc/f32-fused/, declared in csrc/include/sepconv.h) that the
 * wasm plan executor calls, next to the eager ones it reuses. Pointers are byte offsets; 0 is NULL.
 */
import { FormatError } from '../errors.js';
import type { SepconvWasmExports } from '../backend/wasm/exports.js';

export interface FusedWasmExports extends SepconvWasmExports {
  sepconv_fused_activate(x: number, y: number, count: number, e: number): void;
  sepconv_fused_gemm_packed_size(k: number, n: number): number;
  sepconv_fused_gemm_pack(w: number, packed: number, k: number, n: number): void;
  sepconv_fused_gemm_workspace(): number;
  sepconv_fused_gemm_nr(): number;
  sepconv_fused_gemm(a: number, packedW: number, bias: number, scale: number, residual: number, c: number, m: number,
    k: number, n: number, ldc: number, scaleRows: number, e: number, workspace: number): void;
  sepconv_fused_conv2d_packed_size(g: number): number;
  sepconv_fused_conv2d_pack(w: number, packed: number, g: number): void;
  sepconv_fused_conv2d_workspace(g: number): number;
  sepconv_fused_conv2d(x: number, packedW: number, bias: number, residual: number, y: number, g: number, e: number,
    workspace: number): void;
  sepconv_fused_depthwise_workspace(g: number): number;
  sepconv_fused_depthwise(x: number, w: number, bias: number, residual: number, y: number, g: number, e: number,
    workspace: number): void;
  sepconv_fused_dwpw_workspace(g: number, nOut: number): number;
  sepconv_fused_dwpw(x: number, dwW: number, dwBias: number, g: number, dwE: number, pwPacked: number, pwBias: number,
    nOut: number, ldy: number, residual: number, y: number, pwE: number, workspace: number): void;
  sepconv_fused_add(a: number, b: number, y: number, count: number, e: number): void;
  sepconv_fused_channel_affine(x: number, scale: number, shift: number, y: number, pixels: number, channels: number,
    e: number): void;
  sepconv_fused_channel_scale(x: number, gate: number, y: number, images: number, pixels: number, channels: number): void;
}

const FUSED_EXPORTS: readonly (keyof FusedWasmExports)[] = [
  'sepconv_fused_activate', 'sepconv_fused_gemm_packed_size', 'sepconv_fused_gemm_pack', 'sepconv_fused_gemm_workspace',
  'sepconv_fused_gemm_nr', 'sepconv_fused_gemm', 'sepconv_fused_conv2d_packed_size', 'sepconv_fused_conv2d_pack', 'sepconv_fused_conv2d_workspace',
  'sepconv_fused_conv2d', 'sepconv_fused_depthwise_workspace', 'sepconv_fused_depthwise', 'sepconv_fused_dwpw_workspace', 'sepconv_fused_dwpw',
  'sepconv_fused_add', 'sepconv_fused_channel_affine', 'sepconv_fused_channel_scale',
];

/** Checks that an instantiated module has the fused kernels (an older .wasm does not). */
export function asFusedExports(exports: SepconvWasmExports): FusedWasmExports {
  const missing = FUSED_EXPORTS.filter((name) => !(name in exports));
  if (missing.length > 0)
    throw new FormatError(`compile: the wasm module lacks the fused kernels ${missing.join(', ')}; it is older than this ` +
      'library: rebuild it with scripts/build-wasm.sh');
  return exports as FusedWasmExports;
}
