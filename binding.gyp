{
  # The native backend (src/tensor/backends/native.ts), built by scripts/build-native.mjs on the
  # user's own machine, hence -march=native. No -ffast-math: it would break NaN semantics.
  # -fno-trapping-math only stops g++ from masking the untaken side of branch-free selects to avoid
  # raising FP exception flags nobody reads (tanh/sigmoid vectorize much more cleanly); results,
  # NaN and infinities included, are unchanged.
  # C++ exceptions stay disabled (node's default); the addon reports errors as JS exceptions.
  "targets": [
    {
      "target_name": "latentlab_native",
      "sources": ["native/latentlab.cc", "native/gemm-bf16.cc", "native/pool.cc", "native/umap.cc", "native/conv.cc", "native/gemm-f32.cc", "native/nearest.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math"],
      "cflags_cc": ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math"],
      "libraries": ["-lopenblas"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-march=native", "-fno-math-errno", "-fno-trapping-math"]
      }
    }
  ]
}
