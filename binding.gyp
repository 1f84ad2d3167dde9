{
  "targets": [
    {
      "target_name": "tsxdp_bpf",
      "sources": ["native/src/bpf.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}
