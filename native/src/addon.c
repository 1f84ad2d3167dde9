// tsxdp_bpf: the Node-API addon over libbpf and libxdp. Thin on purpose: each function wraps
// one libbpf, libxdp or syscall operation (or, on the hot paths, a batch of them), checks its
// arguments, and returns plain values or throws an Error carrying `errno`. Policy, defaults
// and wording live in runtime/ (TypeScript). One file per concern; see addon.h.
#include <bpf/libbpf.h>
#include <node_api.h>

#include "addon.h"
#include "libbpf_log.h"

static napi_value init(napi_env env, napi_value exports) {
  libbpf_log_init(env);
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  tsxdp_object_init(env, exports);
  tsxdp_program_init(env, exports);
  tsxdp_map_init(env, exports);
  tsxdp_ids_init(env, exports);
  tsxdp_fds_init(env, exports);
  tsxdp_ringbuf_init(env, exports);
  tsxdp_umem_init(env, exports);
  tsxdp_xsk_init(env, exports);
  tsxdp_registry_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
