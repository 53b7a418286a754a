# The native backend: a Node-API addon (build/Release/sepconv_native.node) built by `npm install` with node-gyp.
# The kernels of csrc/ are compiled three times, for SSE2, AVX2 + FMA and AVX-512F, each into a static library whose
# symbols csrc/native/isa_names.h prefixes with the ISA, and the addon picks one at run time. x86-64 Linux and macOS
# only; elsewhere nothing is built and sepconv uses its wasm backend.
{
  'variables': {
    # The kernels of the contract, their threaded drivers, and the fused kernels that compiled plans call.
    'isa_sources': [
      'csrc/f32-bn/batchnorm.c',
      'csrc/f32-conv/conv2d.c',
      'csrc/f32-conv/im2col.c',
      'csrc/f32-dwconv/dwconv.c',
      'csrc/f32-dwconv/dwconv_3x3.c',
      'csrc/f32-dwconv/dwconv_5x5.c',
      'csrc/f32-dwconv/dwconv_backward.c',
      'csrc/f32-dwconv/dwconv_generic.c',
      'csrc/f32-fused/conv_fused.c',
      'csrc/f32-fused/dwconv_band.c',
      'csrc/f32-fused/eltwise.c',
      'csrc/f32-fused/epilogue.c',
      'csrc/f32-fused/gemm_fused.c',
      'csrc/f32-gemm/gemm.c',
      'csrc/f32-gemm/pack.c',
      'csrc/f32-pool/avgpool.c',
      'csrc/f32-pool/maxpool.c',
      'csrc/f32-unary/unary.c',
      'csrc/native/isa_table.c',
      'csrc/native/peak.c',
      'csrc/native/plan_calls.c',
      'csrc/native/threaded_dwconv.c',
      'csrc/native/threaded_eltwise.c',
      'csrc/native/threaded_gemm.c',
    ],
    'c_flags': ['-std=c11', '-O3', '-Wall', '-Wextra', '-Wno-unknown-pragmas', '-Wno-unused-parameter'],
  },
  'conditions': [
    ['target_arch=="x64" and OS!="win"', {
      'target_defaults': {
        'include_dirs': ['csrc/native'],
        'cflags_c': ['<@(c_flags)'],
        'xcode_settings': {'OTHER_CFLAGS': ['<@(c_flags)']},
      },
      'targets': [
        {
          'target_name': 'sepconv_isa_sse2',
          'type': 'static_library',
          'sources': ['<@(isa_sources)'],
          'defines': ['SEPCONV_ISA=sse2'],
          'cflags': ['-msse2', '-include', 'isa_names.h'],
          'xcode_settings': {'OTHER_CFLAGS': ['-msse2', '-include', 'isa_names.h']},
        },
        {
          'target_name': 'sepconv_isa_avx2',
          'type': 'static_library',
          'sources': ['<@(isa_sources)'],
          'defines': ['SEPCONV_ISA=avx2'],
          'cflags': ['-mavx2', '-mfma', '-include', 'isa_names.h'],
          'xcode_settings': {'OTHER_CFLAGS': ['-mavx2', '-mfma', '-include', 'isa_names.h']},
        },
        {
          'target_name': 'sepconv_isa_avx512',
          'type': 'static_library',
          'sources': ['<@(isa_sources)'],
          'defines': ['SEPCONV_ISA=avx512', 'GEMM_MR=8'],
          'cflags': ['-mavx512f', '-mfma', '-include', 'isa_names.h'],
          'xcode_settings': {'OTHER_CFLAGS': ['-mavx512f', '-mfma', '-include', 'isa_names.h']},
        },
        {
          'target_name': 'sepconv_native',
          'dependencies': ['sepconv_isa_sse2', 'sepconv_isa_avx2', 'sepconv_isa_avx512'],
          'sources': [
            'csrc/native/addon.c',
            'csrc/native/isa_select.c',
            'csrc/native/scratch.c',
            'csrc/native/thread_pool.c',
          ],
          'libraries': ['-lpthread'],
        },
      ],
    }],
  ],
}
