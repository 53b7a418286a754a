/* The table of one ISA library (csrc/native/isa.h), named sepconv_isa_<SEPCONV_ISA>. */
#include "threaded.h"

#define SEPCONV_STRING_(x) #x
#define SEPCONV_STRING(x) SEPCONV_STRING_(x)

const sepconv_isa SEPCONV_PASTE(sepconv_isa, SEPCONV_ISA) = {
    .name = SEPCONV_STRING(SEPCONV_ISA),
    .lanes = VF_LANES,
    .matmul = native_matmul,
    .conv2d = native_conv2d,
    .conv2d_backward_input = native_conv2d_backward_input,
    .conv2d_backward_filter = native_conv2d_backward_filter,
    .depthwise_conv2d = native_depthwise_conv2d,
    .depthwise_conv2d_backward_input = native_depthwise_conv2d_backward_input,
    .depthwise_conv2d_backward_filter = native_depthwise_conv2d_backward_filter,
    .unary = native_unary,
    .unary_backward = native_unary_backward,
    .max_pool2d = native_max_pool2d,
    .max_pool2d_backward = native_max_pool2d_backward,
    .avg_pool2d = native_avg_pool2d,
    .avg_pool2d_backward = native_avg_pool2d_backward,
    .channel_moments = native_channel_moments,
    .batch_norm_forward = native_batch_norm_forward,
    .batch_norm_backward = native_batch_norm_backward,
    .peak_flops = native_peak_flops,
    .plan_call = native_plan_call,
    .plan_call_valid = native_plan_call_valid,
    .plan_run = native_plan_run,
    .plan_valid = native_plan_valid,
};
