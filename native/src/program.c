// Programs: BPF_PROG_TEST_RUN, XDP attach (link or netlink), detach and query, program
// info, and loading raw instructions (the runtime's few hand-encoded programs: the default
// AF_XDP redirect program, the live-frames generator).
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <node_api.h>

#include "addon.h"
#include "js.h"
#include "libbpf_log.h"

// progTestRun(fd, packet, repeat, outSize, flags, ctxIn | null): { retval, packet, durationNs }
static napi_value prog_test_run(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  int64_t fd, repeat, out_size, flags;
  void *data, *ctx = NULL;
  size_t data_len, ctx_len = 0;
  bool no_ctx = js_is_null(env, argv[5]);
  if (!js_int(env, argv[0], &fd) || !js_bytes(env, argv[1], &data, &data_len) || !js_int(env, argv[2], &repeat) || !js_int(env, argv[3], &out_size) || !js_int(env, argv[4], &flags) || out_size < 0 || out_size > (1 << 24) ||
      (!no_ctx && !js_bytes(env, argv[5], &ctx, &ctx_len)))
    return js_type_error(env, "progTestRun(fd, packet, repeat, outSize, flags, ctx)");
  void *out = calloc(1, out_size ? out_size : 1);
  if (!out) return js_fail(env, "progTestRun", ENOMEM);
  // Live-frame runs take no output buffer (the frames really leave).
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = data_len, .data_out = out_size ? out : NULL, .data_size_out = out_size, .repeat = repeat, .flags = flags, .ctx_in = ctx, .ctx_size_in = ctx_len);
  if (bpf_prog_test_run_opts(fd, &opts)) {
    int saved = errno;
    free(out);
    return libbpf_fail(env, "bpf_prog_test_run_opts", saved);
  }
  napi_value result;
  napi_create_object(env, &result);
  js_set_number(env, result, "retval", opts.retval);
  js_set_number(env, result, "durationNs", opts.duration);
  size_t produced = opts.data_size_out < (size_t)out_size ? opts.data_size_out : (size_t)out_size;
  napi_set_named_property(env, result, "packet", js_bytes_copy(env, out, produced));
  free(out);
  return result;
}

// xdpLinkCreate(progFd, ifindex, flags): linkFd
static napi_value xdp_link_create(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  int64_t prog_fd, ifindex, flags;
  if (!js_int(env, argv[0], &prog_fd) || !js_int(env, argv[1], &ifindex) || !js_int(env, argv[2], &flags)) return js_type_error(env, "xdpLinkCreate(progFd, ifindex, flags)");
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
  int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
  if (fd < 0) return libbpf_fail(env, "bpf_link_create", errno);
  return js_number(env, fd);
}

// xdpAttach(ifindex, progFd, flags, oldProgFd): void — netlink attach (fallback)
static napi_value xdp_attach(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  int64_t ifindex, prog_fd, flags, old_fd;
  if (!js_int(env, argv[0], &ifindex) || !js_int(env, argv[1], &prog_fd) || !js_int(env, argv[2], &flags) || !js_int(env, argv[3], &old_fd)) return js_type_error(env, "xdpAttach(ifindex, progFd, flags, oldProgFd)");
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = (int)old_fd);
  int err = bpf_xdp_attach(ifindex, prog_fd, flags, old_fd >= 0 ? &opts : NULL);
  if (err) return libbpf_fail(env, "bpf_xdp_attach", err);
  return js_undefined(env);
}

// xdpDetach(ifindex, flags): void
static napi_value xdp_detach(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  int64_t ifindex, flags;
  if (!js_int(env, argv[0], &ifindex) || !js_int(env, argv[1], &flags)) return js_type_error(env, "xdpDetach(ifindex, flags)");
  int err = bpf_xdp_detach(ifindex, flags, NULL);
  if (err) return libbpf_fail(env, "bpf_xdp_detach", err);
  return js_undefined(env);
}

// xdpQuery(ifindex): { progId, mode }
static napi_value xdp_query(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  int64_t ifindex;
  if (!js_int(env, argv[0], &ifindex)) return js_type_error(env, "xdpQuery(ifindex)");
  LIBBPF_OPTS(bpf_xdp_query_opts, opts);
  int err = bpf_xdp_query(ifindex, 0, &opts);
  if (err) return libbpf_fail(env, "bpf_xdp_query", err);
  napi_value result;
  napi_create_object(env, &result);
  js_set_number(env, result, "progId", opts.prog_id);
  js_set_number(env, result, "mode", opts.attach_mode);
  return result;
}

// progInfo(fd): { id, xlatedInsns, jitedBytes, verifiedInsns, runTimeNs, runCount, name }
static napi_value prog_info(napi_env env, napi_callback_info info_) {
  napi_value argv[1];
  if (!js_args(env, info_, 1, argv)) return NULL;
  int64_t fd;
  if (!js_int(env, argv[0], &fd)) return js_type_error(env, "progInfo(fd)");
  struct bpf_prog_info info = {0};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return libbpf_fail(env, "bpf_obj_get_info_by_fd", errno);
  napi_value r;
  napi_create_object(env, &r);
  js_set_number(env, r, "id", info.id);
  js_set_number(env, r, "xlatedInsns", info.xlated_prog_len / 8);
  js_set_number(env, r, "jitedBytes", info.jited_prog_len);
  js_set_number(env, r, "verifiedInsns", info.verified_insns);
  js_set_number(env, r, "runTimeNs", info.run_time_ns);
  js_set_number(env, r, "runCount", info.run_cnt);
  js_set_string(env, r, "name", info.name);
  return r;
}

// progLoadRaw(type, insns: Uint8Array, license, name): fd — the verifier's log is the error's message
static napi_value prog_load_raw(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  int64_t type;
  void *insns;
  size_t len;
  char license[32], name[16];
  if (!js_int(env, argv[0], &type) || !js_bytes(env, argv[1], &insns, &len) || !js_string(env, argv[2], license, sizeof license) || !js_string(env, argv[3], name, sizeof name))
    return js_type_error(env, "progLoadRaw(type, insns: Uint8Array, license, name (at most 15 characters))");
  if (len % 8 || len == 0) return js_type_error(env, "progLoadRaw: instructions must be a Uint8Array of 8-byte instructions");
  // Per call, not static: worker threads load programs at the same time.
  const size_t log_size = 16384;
  char *log = calloc(1, log_size);
  if (!log) return js_fail(env, "allocate a verifier log", ENOMEM);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = log_size, .log_level = 0);
  int fd = bpf_prog_load(type, name, license, insns, len / 8, &opts);
  int saved = errno;
  napi_value result = fd < 0 ? js_fail(env, log[0] ? log : "bpf_prog_load", saved) : js_number(env, fd);
  free(log);
  return result;
}

void tsxdp_program_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("progTestRun", prog_test_run), JS_FUNCTION("progInfo", prog_info), JS_FUNCTION("progLoadRaw", prog_load_raw),
      JS_FUNCTION("xdpLinkCreate", xdp_link_create), JS_FUNCTION("xdpAttach", xdp_attach), JS_FUNCTION("xdpDetach", xdp_detach), JS_FUNCTION("xdpQuery", xdp_query),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
