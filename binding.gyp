{
  "targets": [
    {
      "target_name": "tsxdp_bpf",
      "sources": ["native/src/addon.c", "native/src/js.c", "native/src/libbpf_log.c", "native/src/isolate.c", "native/src/object.c", "native/src/program.c", "native/src/map.c", "native/src/ids.c", "native/src/fds.c", "native/src/wait.c", "native/src/ringbuf.c", "native/src/umem.c", "native/src/xsk.c", "native/src/registry.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lxdp", "-lbpf", "-lelf", "-lz"]
    }
  ]
}
