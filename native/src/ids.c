// Kernel BPF objects found by id rather than through a libbpf object: walking the ids of
// loaded maps (tsxdp maps <obj> finds an object's live maps the way bpftool does), of
// programs (tsxdp logs finds the programs of its object and the maps they use) and of
// links (attach with replace finds the XDP link on an interface), link info,
// BPF_LINK_UPDATE, and the BTF of a loaded object (for maps opened from a pin). Thin like the rest of the addon: no policy, errno on failure.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <node_api.h>

#include "addon.h"
#include "js.h"

static bool int_args(napi_env env, napi_callback_info info, size_t n, int64_t *out, const char *usage) {
  napi_value argv[4];
  size_t argc = n;
  if (n > 4 || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) goto bad;
  for (size_t i = 0; i < n; i++) {
    napi_valuetype t;
    if (napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number || napi_get_value_int64(env, argv[i], &out[i]) != napi_ok) goto bad;
  }
  return true;
bad:
  napi_throw_type_error(env, "EINVAL", usage);
  return false;
}



// The id after `start` of a kernel object kind (maps, links), 0 when there is none.
static napi_value next_id(napi_env env, napi_callback_info info, const char *usage, const char *what, int (*get_next)(__u32, __u32 *)) {
  int64_t a[1];
  if (!int_args(env, info, 1, a, usage)) return NULL;
  __u32 next = 0;
  if (a[0] < 0 || a[0] > UINT32_MAX) return js_fail(env, what, EINVAL);
  if (get_next((__u32)a[0], &next)) {
    if (errno == ENOENT) return js_number(env, 0);
    return js_fail(env, what, errno);
  }
  return js_number(env, next);
}

// An fd for the kernel object with this id (the caller closes it).
static napi_value fd_by_id(napi_env env, napi_callback_info info, const char *usage, const char *what, int (*get_fd)(__u32)) {
  int64_t a[1];
  if (!int_args(env, info, 1, a, usage)) return NULL;
  if (a[0] <= 0 || a[0] > UINT32_MAX) return js_fail(env, what, EINVAL);
  int fd = get_fd((__u32)a[0]);
  if (fd < 0) return js_fail(env, what, errno);
  return js_number(env, fd);
}

// mapNextId(id): the next loaded map's id after `id`, 0 when there is none
static napi_value map_next_id(napi_env env, napi_callback_info info) {
  return next_id(env, info, "mapNextId(id)", "bpf_map_get_next_id", bpf_map_get_next_id);
}

// mapFdById(id): fd (the caller closes it)
static napi_value map_fd_by_id(napi_env env, napi_callback_info info) {
  return fd_by_id(env, info, "mapFdById(id)", "bpf_map_get_fd_by_id", bpf_map_get_fd_by_id);
}

// progNextId(id): the next loaded program's id after `id`, 0 when there is none
static napi_value prog_next_id(napi_env env, napi_callback_info info) {
  return next_id(env, info, "progNextId(id)", "bpf_prog_get_next_id", bpf_prog_get_next_id);
}

// progFdById(id): fd (the caller closes it)
static napi_value prog_fd_by_id(napi_env env, napi_callback_info info) {
  return fd_by_id(env, info, "progFdById(id)", "bpf_prog_get_fd_by_id", bpf_prog_get_fd_by_id);
}

// progIdentity(fd): { id, type, name, tag, mapIds } — what tells a loaded program apart:
// tag is the kernel's hash of its instructions (map references zeroed) as 16 hex digits,
// mapIds the ids of the maps it uses. Two calls: the first learns how many maps there are.
static napi_value prog_identity(napi_env env, napi_callback_info info_) {
  int64_t a[1];
  if (!int_args(env, info_, 1, a, "progIdentity(fd)")) return NULL;
  struct bpf_prog_info info;
  memset(&info, 0, sizeof info);
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd((int)a[0], &info, &len)) return js_fail(env, "bpf_obj_get_info_by_fd", errno);
  __u32 count = info.nr_map_ids;
  __u32 *ids = count ? calloc(count, sizeof *ids) : NULL;
  if (count && !ids) return js_fail(env, "allocate map ids", ENOMEM);
  if (count) {
    memset(&info, 0, sizeof info);
    info.nr_map_ids = count;
    info.map_ids = (__u64)(unsigned long)ids;
    len = sizeof info;
    if (bpf_obj_get_info_by_fd((int)a[0], &info, &len)) {
      int saved = errno;
      free(ids);
      return js_fail(env, "bpf_obj_get_info_by_fd", saved);
    }
    // The kernel writes at most `count` ids and reports how many there are.
    if (info.nr_map_ids < count) count = info.nr_map_ids;
  }
  char tag[2 * BPF_TAG_SIZE + 1];
  for (int i = 0; i < BPF_TAG_SIZE; i++) snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
  napi_value r, list;
  napi_create_object(env, &r);
  js_set_number(env, r, "id", info.id);
  js_set_number(env, r, "type", info.type);
  js_set_string(env, r, "name", info.name);
  js_set_string(env, r, "tag", tag);
  napi_create_array_with_length(env, count, &list);
  for (__u32 i = 0; i < count; i++) napi_set_element(env, list, i, js_number(env, ids[i]));
  free(ids);
  napi_set_named_property(env, r, "mapIds", list);
  return r;
}

// linkNextId(id): the next link's id after `id`, 0 when there is none
static napi_value link_next_id(napi_env env, napi_callback_info info) {
  return next_id(env, info, "linkNextId(id)", "bpf_link_get_next_id", bpf_link_get_next_id);
}

// linkFdById(id): fd (the caller closes it)
static napi_value link_fd_by_id(napi_env env, napi_callback_info info) {
  return fd_by_id(env, info, "linkFdById(id)", "bpf_link_get_fd_by_id", bpf_link_get_fd_by_id);
}

// linkInfo(fd): { id, type, progId, ifindex } — ifindex for XDP links (type BPF_LINK_TYPE_XDP), else 0
static napi_value link_info(napi_env env, napi_callback_info info_) {
  int64_t a[1];
  if (!int_args(env, info_, 1, a, "linkInfo(fd)")) return NULL;
  struct bpf_link_info info;
  memset(&info, 0, sizeof info);
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd((int)a[0], &info, &len)) return js_fail(env, "bpf_obj_get_info_by_fd", errno);
  napi_value r;
  napi_create_object(env, &r);
  js_set_number(env, r, "id", info.id);
  js_set_number(env, r, "type", info.type);
  js_set_number(env, r, "progId", info.prog_id);
  js_set_number(env, r, "ifindex", info.type == BPF_LINK_TYPE_XDP ? info.xdp.ifindex : 0);
  return r;
}

// linkUpdate(linkFd, progFd, oldProgFd): void — BPF_LINK_UPDATE; oldProgFd >= 0 makes it
// conditional (BPF_F_REPLACE: fails with EPERM if another program is attached meanwhile)
static napi_value link_update(napi_env env, napi_callback_info info) {
  int64_t a[3];
  if (!int_args(env, info, 3, a, "linkUpdate(linkFd, progFd, oldProgFd)")) return NULL;
  LIBBPF_OPTS(bpf_link_update_opts, opts, .old_prog_fd = a[2] >= 0 ? (__u32)a[2] : 0, .flags = a[2] >= 0 ? BPF_F_REPLACE : 0);
  if (bpf_link_update((int)a[0], (int)a[1], &opts)) return js_fail(env, "bpf_link_update", errno);
  return js_undefined(env);
}

// linkDetach(linkFd): void — BPF_LINK_DETACH: the link lets go of its program now, whoever
// else holds the link (a pin, another process)
static napi_value link_detach(napi_env env, napi_callback_info info) {
  int64_t a[1];
  if (!int_args(env, info, 1, a, "linkDetach(linkFd)")) return NULL;
  if (bpf_link_detach((int)a[0])) return js_fail(env, "bpf_link_detach", errno);
  return js_undefined(env);
}

// btfById(id): Uint8Array | undefined — raw BTF of a loaded object (for maps opened from a pin)
static napi_value btf_by_id(napi_env env, napi_callback_info info) {
  int64_t a[1];
  if (!int_args(env, info, 1, a, "btfById(id)")) return NULL;
  if (a[0] <= 0 || a[0] > UINT32_MAX) return js_fail(env, "btf__load_from_kernel_by_id", EINVAL);
  struct btf *btf = btf__load_from_kernel_by_id((__u32)a[0]);
  int err = libbpf_get_error(btf);
  if (err || !btf) return js_fail(env, "btf__load_from_kernel_by_id", err ? err : ENOENT);
  __u32 size = 0;
  const void *raw = btf__raw_data(btf, &size);
  napi_value out = raw ? js_bytes_copy(env, raw, size) : js_undefined(env);
  btf__free(btf);
  return out;
}

void tsxdp_ids_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("mapNextId", map_next_id), JS_FUNCTION("mapFdById", map_fd_by_id), JS_FUNCTION("progNextId", prog_next_id),
      JS_FUNCTION("progFdById", prog_fd_by_id), JS_FUNCTION("progIdentity", prog_identity), JS_FUNCTION("linkNextId", link_next_id),
      JS_FUNCTION("linkFdById", link_fd_by_id), JS_FUNCTION("linkInfo", link_info), JS_FUNCTION("linkUpdate", link_update), JS_FUNCTION("linkDetach", link_detach), JS_FUNCTION("btfById", btf_by_id),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
