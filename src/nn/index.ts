/** Layers and the Module tree (PyTorch / Keras names, NHWC activations). */
export { Module, type LoadStateDictResult, type StateValue } from './module.js';
export * as init from './init.js';
export {
  Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d, BlueprintSeparableConv2d,
  type Conv2dOptions, type DepthwiseConv2dOptions, type PointwiseConv2dOptions, type SeparableConv2dOptions,
  type BlueprintSeparableConv2dOptions, type SeparableMiddleOptions,
} from './conv.js';
export { RepConv2d, RepSeparableConv2d, type RepConvTemplate, type RepOptions } from './reparam.js';
export { SqueezeExcite, makeDivisible, squeezeWidth, type SqueezeExciteOptions } from './squeeze_excite.js';
export { BatchNorm2d, type BatchNorm2dOptions, type BnAffine } from './batchnorm.js';
export {
  ReLU, ReLU6, HardSwish, Swish, SiLU, Sigmoid, HardSigmoid, Tanh, LeakyReLU, PReLU, activation, type ActivationName,
} from './activation.js';
export { MaxPool2d, AvgPool2d, GlobalAvgPool2d, type Pool2dOptions } from './pooling.js';
export { Linear, type LinearOptions } from './linear.js';
export { Dropout } from './dropout.js';
export { Sequential, Residual, Identity, Flatten } from './containers.js';
