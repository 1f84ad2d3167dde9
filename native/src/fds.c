// File descriptors and names: closing an fd, pinning a BPF object and opening a pin, an
// interface's index, the number of possible CPUs.
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <node_api.h>

#include "addon.h"
#include "js.h"

// close(fd): void
static napi_value fd_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  int64_t fd;
  if (!js_int(env, argv[0], &fd) || fd < 0 || fd > 0x7fffffff) return js_type_error(env, "close(fd)");
  if (close((int)fd)) return js_fail(env, "close", errno);
  return js_undefined(env);
}

// objPin(fd, path): void
static napi_value obj_pin(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  int64_t fd;
  char path[4096];
  if (!js_int(env, argv[0], &fd) || !js_string(env, argv[1], path, sizeof path)) return js_type_error(env, "objPin(fd, path)");
  if (bpf_obj_pin(fd, path)) return js_fail(env, "bpf_obj_pin", errno);
  return js_undefined(env);
}

// objGet(path): fd
static napi_value obj_get(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  char path[4096];
  if (!js_string(env, argv[0], path, sizeof path)) return js_type_error(env, "objGet(path)");
  int fd = bpf_obj_get(path);
  if (fd < 0) return js_fail(env, "bpf_obj_get", errno);
  return js_number(env, fd);
}

// ifIndex(name): index — ENODEV when there is no such interface
static napi_value if_index(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  char name[256];
  if (!js_string(env, argv[0], name, sizeof name)) return js_type_error(env, "ifIndex(name)");
  unsigned index = if_nametoindex(name);
  if (!index) return js_fail(env, name, errno);
  return js_number(env, index);
}

// possibleCpus(): number
static napi_value possible_cpus(napi_env env, napi_callback_info info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) return js_fail(env, "libbpf_num_possible_cpus", n);
  return js_number(env, n);
}

void tsxdp_fds_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("close", fd_close), JS_FUNCTION("objPin", obj_pin), JS_FUNCTION("objGet", obj_get),
      JS_FUNCTION("ifIndex", if_index), JS_FUNCTION("possibleCpus", possible_cpus),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
