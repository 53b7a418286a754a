/**
 * The functions wasm/sepconv.wasm exports (csrc/include/sepconv.h). Pointers are byte offsets into the module's
 * memory; 0 stands for NULL (the arena never hands out offset 0). Sizes returned by *_workspace are in floats.
 */
export interface SepconvWasmExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;

  sepconv_matmul_workspace(m: number, k: number, n: number): number;
  sepconv_matmul(a: number, b: number, bias: number, c: number, m: number, k: number, n: number, transA: number,
    transB: number, workspace: number): void;

  sepconv_conv2d_workspace(g: number): number;
  sepconv_conv2d(x: number, w: number, bias: number, y: number, g: number, workspace: number): void;
  sepconv_conv2d_backward_input_workspace(g: number): number;
  sepconv_conv2d_backward_input(dy: number, w: number, dx: number, g: number, workspace: number): void;
  sepconv_conv2d_backward_filter_workspace(g: number): number;
  sepconv_conv2d_backward_filter(x: number, dy: number, dw: number, g: number, workspace: number): void;

  sepconv_depthwise_conv2d_workspace(g: number): number;
  sepconv_depthwise_conv2d(x: number, w: number, bias: number, y: number, g: number, workspace: number): void;
  sepconv_depthwise_conv2d_backward_input_workspace(g: number): number;
  sepconv_depthwise_conv2d_backward_input(dy: number, w: number, dx: number, g: number, workspace: number): void;
  sepconv_depthwise_conv2d_backward_filter(x: number, dy: number, dw: number, g: number): void;

  sepconv_unary(kind: number, x: number, y: number, count: number, alpha: number): void;
  sepconv_unary_backward(kind: number, x: number, dy: number, dx: number, count: number, alpha: number): void;

  sepconv_max_pool2d(x: number, y: number, argmax: number, g: number): void;
  sepconv_max_pool2d_backward(dy: number, argmax: number, dx: number, g: number): void;
  sepconv_avg_pool2d(x: number, y: number, g: number, countIncludePad: number): void;
  sepconv_avg_pool2d_backward(dy: number, dx: number, g: number, countIncludePad: number): void;

  sepconv_channel_moments_workspace(channels: number): number;
  sepconv_channel_moments(x: number, positions: number, channels: number, mean: number, variance: number,
    workspace: number): void;
  sepconv_batch_norm_forward_workspace(channels: number): number;
  sepconv_batch_norm_forward(x: number, mean: number, invStd: number, gamma: number, beta: number, y: number,
    positions: number, channels: number, workspace: number): void;
  sepconv_batch_norm_backward_workspace(channels: number): number;
  sepconv_batch_norm_backward(x: number, dy: number, mean: number, invStd: number, gamma: number, training: number,
    dx: number, dGamma: number, dBeta: number, positions: number, channels: number, workspace: number): void;
}

/** Names checked at load time, so a stale or foreign .wasm fails with a clear message rather than mid-kernel. */
export const requiredExports: readonly (keyof SepconvWasmExports)[] = [
  'memory', '__heap_base',
  'sepconv_matmul_workspace', 'sepconv_matmul',
  'sepconv_conv2d_workspace', 'sepconv_conv2d',
  'sepconv_conv2d_backward_input_workspace', 'sepconv_conv2d_backward_input',
  'sepconv_conv2d_backward_filter_workspace', 'sepconv_conv2d_backward_filter',
  'sepconv_depthwise_conv2d_workspace', 'sepconv_depthwise_conv2d',
  'sepconv_depthwise_conv2d_backward_input_workspace', 'sepconv_depthwise_conv2d_backward_input',
  'sepconv_depthwise_conv2d_backward_filter',
  'sepconv_unary', 'sepconv_unary_backward',
  'sepconv_max_pool2d', 'sepconv_max_pool2d_backward', 'sepconv_avg_pool2d', 'sepconv_avg_pool2d_backward',
  'sepconv_channel_moments_workspace', 'sepconv_channel_moments',
  'sepconv_batch_norm_forward_workspace', 'sepconv_batch_norm_forward',
  'sepconv_batch_norm_backward_workspace', 'sepconv_batch_norm_backward',
];
