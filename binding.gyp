{
  "targets": [
    {
      "target_name": "tsxdp_bpf",
      "sources": ["native/src/bpf.c", "native/src/isolate.c", "native/src/ids.c", "native/src/js.c", "native/src/map.c", "native/src/xsk.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lxdp", "-lbpf", "-lelf", "-lz"]
    }
  ]
}
