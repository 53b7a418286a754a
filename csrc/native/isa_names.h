/*
 * Forced into every file of an ISA library (binding.gyp: -include isa_names.h -DSEPCONV_ISA=avx2): renames each
 * external symbol of the kernels and of the threaded drivers to <isa>_<name>, so the same sources link three times
 * into one addon. A function added to a kernel folder or to a per-ISA file of csrc/native/ needs a line here, or
 * the link fails with "multiple definition of ..." (scripts/check-native-names.sh lists what is missing).
 */
#ifndef SEPCONV_NATIVE_ISA_NAMES_H
#define SEPCONV_NATIVE_ISA_NAMES_H

#define SEPCONV_PASTE_(a, b) a##_##b
#define SEPCONV_PASTE(a, b) SEPCONV_PASTE_(a, b)
#define SEPCONV_ISA_NAME(name) SEPCONV_PASTE(SEPCONV_ISA, name)

/* include/sepconv.h */
#define sepconv_matmul_workspace SEPCONV_ISA_NAME(sepconv_matmul_workspace)
#define sepconv_matmul SEPCONV_ISA_NAME(sepconv_matmul)
#define sepconv_conv2d_workspace SEPCONV_ISA_NAME(sepconv_conv2d_workspace)
#define sepconv_conv2d SEPCONV_ISA_NAME(sepconv_conv2d)
#define sepconv_conv2d_backward_input_workspace SEPCONV_ISA_NAME(sepconv_conv2d_backward_input_workspace)
#define sepconv_conv2d_backward_input SEPCONV_ISA_NAME(sepconv_conv2d_backward_input)
#define sepconv_conv2d_backward_filter_workspace SEPCONV_ISA_NAME(sepconv_conv2d_backward_filter_workspace)
#define sepconv_conv2d_backward_filter SEPCONV_ISA_NAME(sepconv_conv2d_backward_filter)
#define sepconv_depthwise_conv2d_workspace SEPCONV_ISA_NAME(sepconv_depthwise_conv2d_workspace)
#define sepconv_depthwise_conv2d SEPCONV_ISA_NAME(sepconv_depthwise_conv2d)
#define sepconv_depthwise_conv2d_backward_input_workspace \
  SEPCONV_ISA_NAME(sepconv_depthwise_conv2d_backward_input_workspace)
#define sepconv_depthwise_conv2d_backward_input SEPCONV_ISA_NAME(sepconv_depthwise_conv2d_backward_input)
#define sepconv_depthwise_conv2d_backward_filter SEPCONV_ISA_NAME(sepconv_depthwise_conv2d_backward_filter)
#define sepconv_unary SEPCONV_ISA_NAME(sepconv_unary)
#define sepconv_unary_backward SEPCONV_ISA_NAME(sepconv_unary_backward)
#define sepconv_max_pool2d SEPCONV_ISA_NAME(sepconv_max_pool2d)
#define sepconv_max_pool2d_backward SEPCONV_ISA_NAME(sepconv_max_pool2d_backward)
#define sepconv_avg_pool2d SEPCONV_ISA_NAME(sepconv_avg_pool2d)
#define sepconv_avg_pool2d_backward SEPCONV_ISA_NAME(sepconv_avg_pool2d_backward)
#define sepconv_channel_moments_workspace SEPCONV_ISA_NAME(sepconv_channel_moments_workspace)
#define sepconv_channel_moments SEPCONV_ISA_NAME(sepconv_channel_moments)
#define sepconv_batch_norm_forward_workspace SEPCONV_ISA_NAME(sepconv_batch_norm_forward_workspace)
#define sepconv_batch_norm_forward SEPCONV_ISA_NAME(sepconv_batch_norm_forward)
#define sepconv_batch_norm_backward_workspace SEPCONV_ISA_NAME(sepconv_batch_norm_backward_workspace)
#define sepconv_batch_norm_backward SEPCONV_ISA_NAME(sepconv_batch_norm_backward)
#define sepconv_fused_activate SEPCONV_ISA_NAME(sepconv_fused_activate)
#define sepconv_fused_gemm_packed_size SEPCONV_ISA_NAME(sepconv_fused_gemm_packed_size)
#define sepconv_fused_gemm_pack SEPCONV_ISA_NAME(sepconv_fused_gemm_pack)
#define sepconv_fused_gemm_workspace SEPCONV_ISA_NAME(sepconv_fused_gemm_workspace)
#define sepconv_fused_gemm_nr SEPCONV_ISA_NAME(sepconv_fused_gemm_nr)
#define sepconv_fused_gemm SEPCONV_ISA_NAME(sepconv_fused_gemm)
#define sepconv_fused_conv2d_packed_size SEPCONV_ISA_NAME(sepconv_fused_conv2d_packed_size)
#define sepconv_fused_conv2d_pack SEPCONV_ISA_NAME(sepconv_fused_conv2d_pack)
#define sepconv_fused_conv2d_workspace SEPCONV_ISA_NAME(sepconv_fused_conv2d_workspace)
#define sepconv_fused_conv2d SEPCONV_ISA_NAME(sepconv_fused_conv2d)
#define sepconv_fused_depthwise_workspace SEPCONV_ISA_NAME(sepconv_fused_depthwise_workspace)
#define sepconv_fused_depthwise SEPCONV_ISA_NAME(sepconv_fused_depthwise)
#define sepconv_fused_dwpw_workspace SEPCONV_ISA_NAME(sepconv_fused_dwpw_workspace)
#define sepconv_fused_dwpw SEPCONV_ISA_NAME(sepconv_fused_dwpw)
#define sepconv_fused_add SEPCONV_ISA_NAME(sepconv_fused_add)
#define sepconv_fused_channel_affine SEPCONV_ISA_NAME(sepconv_fused_channel_affine)
#define sepconv_fused_channel_scale SEPCONV_ISA_NAME(sepconv_fused_channel_scale)

/* f32-gemm/ */
#define f32_gemm SEPCONV_ISA_NAME(f32_gemm)
#define f32_gemm_a_pack_size SEPCONV_ISA_NAME(f32_gemm_a_pack_size)
#define f32_gemm_pack_a SEPCONV_ISA_NAME(f32_gemm_pack_a)
#define f32_gemm_pack_b SEPCONV_ISA_NAME(f32_gemm_pack_b)
#define f32_gemm_packed SEPCONV_ISA_NAME(f32_gemm_packed)
#define f32_gemm_packed_b_size SEPCONV_ISA_NAME(f32_gemm_packed_b_size)

/* f32-conv/ */
#define f32_im2col SEPCONV_ISA_NAME(f32_im2col)
#define f32_im2col_columns SEPCONV_ISA_NAME(f32_im2col_columns)
#define f32_col2im_add SEPCONV_ISA_NAME(f32_col2im_add)

/* f32-dwconv/ */
#define f32_dwconv_3x3s1_m1 SEPCONV_ISA_NAME(f32_dwconv_3x3s1_m1)
#define f32_dwconv_3x3s2_m1 SEPCONV_ISA_NAME(f32_dwconv_3x3s2_m1)
#define f32_dwconv_5x5s1_m1 SEPCONV_ISA_NAME(f32_dwconv_5x5s1_m1)
#define f32_dwconv_5x5s2_m1 SEPCONV_ISA_NAME(f32_dwconv_5x5s2_m1)
#define f32_dwconv_generic SEPCONV_ISA_NAME(f32_dwconv_generic)
#define f32_dwconv_specialised SEPCONV_ISA_NAME(f32_dwconv_specialised)
#define f32_dwconv_forward SEPCONV_ISA_NAME(f32_dwconv_forward)

/* f32-fused/ */
#define fused_epilogue SEPCONV_ISA_NAME(fused_epilogue)
#define fused_gemm_rows SEPCONV_ISA_NAME(fused_gemm_rows)
#define fused_gemm_tiled_block SEPCONV_ISA_NAME(fused_gemm_tiled_block)
#define fused_gemm_pack_tiled SEPCONV_ISA_NAME(fused_gemm_pack_tiled)

/* f32-bn/ */
#define f32_bn_affine SEPCONV_ISA_NAME(f32_bn_affine)
#define f32_bn_apply SEPCONV_ISA_NAME(f32_bn_apply)
#define f32_bn_backward_apply SEPCONV_ISA_NAME(f32_bn_backward_apply)
#define f32_bn_backward_coefficients SEPCONV_ISA_NAME(f32_bn_backward_coefficients)
#define f32_bn_backward_sums SEPCONV_ISA_NAME(f32_bn_backward_sums)
#define f32_bn_centred_squares SEPCONV_ISA_NAME(f32_bn_centred_squares)
#define f32_bn_sum SEPCONV_ISA_NAME(f32_bn_sum)

/* native/threaded*.c and peak.c */
#define native_matmul SEPCONV_ISA_NAME(native_matmul)
#define native_conv2d SEPCONV_ISA_NAME(native_conv2d)
#define native_conv2d_backward_input SEPCONV_ISA_NAME(native_conv2d_backward_input)
#define native_conv2d_backward_filter SEPCONV_ISA_NAME(native_conv2d_backward_filter)
#define native_depthwise_conv2d SEPCONV_ISA_NAME(native_depthwise_conv2d)
#define native_depthwise_conv2d_backward_input SEPCONV_ISA_NAME(native_depthwise_conv2d_backward_input)
#define native_depthwise_conv2d_backward_filter SEPCONV_ISA_NAME(native_depthwise_conv2d_backward_filter)
#define native_unary SEPCONV_ISA_NAME(native_unary)
#define native_unary_backward SEPCONV_ISA_NAME(native_unary_backward)
#define native_max_pool2d SEPCONV_ISA_NAME(native_max_pool2d)
#define native_max_pool2d_backward SEPCONV_ISA_NAME(native_max_pool2d_backward)
#define native_avg_pool2d SEPCONV_ISA_NAME(native_avg_pool2d)
#define native_avg_pool2d_backward SEPCONV_ISA_NAME(native_avg_pool2d_backward)
#define native_channel_moments SEPCONV_ISA_NAME(native_channel_moments)
#define native_batch_norm_forward SEPCONV_ISA_NAME(native_batch_norm_forward)
#define native_batch_norm_backward SEPCONV_ISA_NAME(native_batch_norm_backward)
#define native_peak_flops SEPCONV_ISA_NAME(native_peak_flops)
#define native_plan_call SEPCONV_ISA_NAME(native_plan_call)
#define native_plan_call_valid SEPCONV_ISA_NAME(native_plan_call_valid)
#define native_plan_run SEPCONV_ISA_NAME(native_plan_run)
#define native_plan_valid SEPCONV_ISA_NAME(native_plan_valid)

#endif
