{
  "targets": [
    {
      "target_name": "loupe_bpf",
      "sources": ["src/addon.cc", "src/tracer.cc"],
      "include_dirs": ["gen", "src"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-unused-parameter"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}
