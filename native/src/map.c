// Maps: creating one, its kernel info, and operations on a map handle — the hot path of
// BpfMap (runtime/map.ts), and the only way the addon reads or writes map entries (callers
// that know a map by fd alone open a handle for it: runtime/map-fd.ts).
//
// A handle owns a dup() of the map's fd and the map's real key and value sizes, read once
// from the kernel (BPF_OBJ_GET_INFO_BY_FD). Every operation checks the caller's buffers
// against those sizes, so a wrong buffer is a TypeError instead of the kernel reading or
// writing past the end of a JavaScript buffer — and, because the handle owns its fd number,
// a closed-and-reused fd can never make it trust the sizes of another map.
//
// Nothing here allocates per call: keys go in and values come out through buffers the
// caller owns and reuses (scratch buffers for single operations, one buffer per batch), and
// results are booleans and counts. Batches loop in C: one N-API call, one syscall per chunk
// (BPF_MAP_*_BATCH) or per key where the kernel has no batch form (lookups by key).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <node_api.h>

#include "js.h"
#include "addon.h"

typedef struct {
  int fd; // ours (a dup); -1 once closed
  uint32_t type;
  uint32_t key_size;
  uint32_t value_size; // bytes of one value as syscalls see it (per-CPU maps: every CPU's)
} map_handle;

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  map_handle *h = data;
  if (h->fd >= 0) close(h->fd);
  free(h);
}

static const napi_type_tag map_tag = {0x747378647061706dULL, 0x6868616e646c6531ULL};

// The handle in argv, open. Throws (and returns NULL) on anything else.
static map_handle *handle_arg(napi_env env, napi_value v) {
  map_handle *h = js_external(env, v, &map_tag);
  if (!h) {
    js_type_error(env, "not a map handle");
    return NULL;
  }
  if (h->fd < 0) {
    js_fail(env, "map handle", EBADF);
    return NULL;
  }
  return h;
}

static bool per_cpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

// mapOpen(fd, keySize, valueSize): handle — valueSize as syscalls see it (per-CPU: all CPUs);
// fails with EINVAL when the map's real sizes differ (the caller's codecs would be wrong).
static napi_value map_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  int64_t fd, key_size, value_size;
  if (!js_int(env, argv[0], &fd) || !js_int(env, argv[1], &key_size) || !js_int(env, argv[2], &value_size) || fd < 0 || fd > 0x7fffffff)
    return js_type_error(env, "mapOpen(fd, keySize, valueSize)");
  int own = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return js_fail(env, "mapOpen: dup", errno);
  struct bpf_map_info map = {0};
  __u32 len = sizeof map;
  if (bpf_obj_get_info_by_fd(own, &map, &len)) {
    int saved = errno;
    close(own);
    return js_fail(env, "mapOpen: not a BPF map (bpf_obj_get_info_by_fd)", saved);
  }
  uint64_t bytes = map.value_size;
  if (per_cpu(map.type)) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) {
      close(own);
      return js_fail(env, "libbpf_num_possible_cpus", cpus < 0 ? cpus : EINVAL);
    }
    bytes = ((bytes + 7) / 8) * 8 * (uint64_t)cpus;
  }
  if ((int64_t)map.key_size != key_size || (int64_t)bytes != value_size || bytes > (1u << 30)) {
    close(own);
    char message[160];
    snprintf(message, sizeof message, "mapOpen: the map has %u-byte keys and %llu-byte values, not %lld and %lld", map.key_size, (unsigned long long)bytes, (long long)key_size, (long long)value_size);
    return js_type_error(env, message);
  }
  map_handle *h = calloc(1, sizeof *h);
  if (!h) {
    close(own);
    return js_fail(env, "mapOpen", ENOMEM);
  }
  h->fd = own;
  h->type = map.type;
  h->key_size = map.key_size;
  h->value_size = (uint32_t)bytes;
  napi_value out = js_external_new(env, h, handle_finalize, &map_tag);
  if (!out) {
    handle_finalize(env, h, NULL);
    return js_fail(env, "mapOpen", ENOMEM);
  }
  return out;
}

// mapClose(handle): void — idempotent; later operations fail with EBADF
static napi_value map_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  map_handle *h = js_external(env, argv[0], &map_tag);
  if (!h) return js_type_error(env, "mapClose(handle)");
  if (h->fd >= 0) close(h->fd);
  h->fd = -1;
  return js_undefined(env);
}

// The (handle, key, value, flags) arguments of a single lookup or update, with both buffers
// of the map's exact sizes. NULL (an error thrown) otherwise.
static map_handle *key_value_args(napi_env env, napi_callback_info info, const char *name, void **key, void **value, int64_t *flags) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  size_t key_len, value_len;
  char message[128];
  if (!js_bytes(env, argv[1], key, &key_len) || !js_bytes(env, argv[2], value, &value_len) || !js_int(env, argv[3], flags)) {
    snprintf(message, sizeof message, "%s(handle, key: Uint8Array, value: Uint8Array, flags)", name);
    js_type_error(env, message);
    return NULL;
  }
  if (key_len != h->key_size || value_len != h->value_size) {
    snprintf(message, sizeof message, "%s: the key or value buffer does not have the map's size", name);
    js_type_error(env, message);
    return NULL;
  }
  return h;
}

// mapLookupInto(handle, key, value, flags): boolean — false when absent; value is written in place
static napi_value map_lookup_into(napi_env env, napi_callback_info info) {
  void *key, *value;
  int64_t flags;
  map_handle *h = key_value_args(env, info, "mapLookupInto", &key, &value, &flags);
  if (!h) return NULL;
  if (bpf_map_lookup_elem_flags(h->fd, key, value, (__u64)flags)) {
    if (errno == ENOENT) return js_boolean(env, false);
    return js_fail(env, "bpf_map_lookup_elem", errno);
  }
  return js_boolean(env, true);
}

// mapUpdateElem(handle, key, value, flags): void
static napi_value map_update_elem(napi_env env, napi_callback_info info) {
  void *key, *value;
  int64_t flags;
  map_handle *h = key_value_args(env, info, "mapUpdateElem", &key, &value, &flags);
  if (!h) return NULL;
  if (bpf_map_update_elem(h->fd, key, value, (__u64)flags)) return js_fail(env, "bpf_map_update_elem", errno);
  return js_undefined(env);
}

// mapDeleteElem(handle, key): boolean — false when absent
static napi_value map_delete_elem(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  void *key;
  size_t key_len;
  if (!js_bytes(env, argv[1], &key, &key_len)) return js_type_error(env, "mapDeleteElem(handle, key: Uint8Array)");
  if (key_len != h->key_size) return js_type_error(env, "mapDeleteElem: the key buffer does not have the map's key size");
  if (bpf_map_delete_elem(h->fd, key)) {
    if (errno == ENOENT) return js_boolean(env, false);
    return js_fail(env, "bpf_map_delete_elem", errno);
  }
  return js_boolean(env, true);
}

// mapNextKeyInto(handle, key | null, next): boolean — false after the last key; `next` is written in place
static napi_value map_next_key_into(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  void *key = NULL, *next;
  size_t key_len = 0, next_len;
  bool first = js_is_null(env, argv[1]);
  if ((!first && !js_bytes(env, argv[1], &key, &key_len)) || !js_bytes(env, argv[2], &next, &next_len)) return js_type_error(env, "mapNextKeyInto(handle, key: Uint8Array | null, next: Uint8Array)");
  if ((!first && key_len != h->key_size) || next_len != h->key_size) return js_type_error(env, "mapNextKeyInto: the key buffers do not have the map's key size");
  if (bpf_map_get_next_key(h->fd, key, next)) {
    if (errno == ENOENT) return js_boolean(env, false);
    return js_fail(env, "bpf_map_get_next_key", errno);
  }
  return js_boolean(env, true);
}

// Reads `count` and checks that `buffer` holds at least count elements of `size` bytes.
static bool batch_buffer(napi_env env, napi_value v, int64_t count, uint32_t size, void **data) {
  size_t len;
  return js_bytes(env, v, data, &len) && (uint64_t)count * size <= len;
}

// mapLookupMany(handle, keys, values, found, count): number found — one lookup per key (the
// kernel has no batch lookup by key); found[i] is 1 or 0, values[i] is written when found.
static napi_value map_lookup_many(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!js_args(env, info, 5, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  int64_t count;
  void *keys, *values, *found;
  if (!js_int(env, argv[4], &count) || count < 0 || count > (1 << 30)) return js_type_error(env, "mapLookupMany(handle, keys, values, found, count)");
  if (!batch_buffer(env, argv[1], count, h->key_size, &keys) || !batch_buffer(env, argv[2], count, h->value_size, &values) || !batch_buffer(env, argv[3], count, 1, &found))
    return js_type_error(env, "mapLookupMany: keys, values and found must be Uint8Arrays holding count keys, values and flags");
  int64_t hits = 0;
  for (int64_t i = 0; i < count; i++) {
    char *value = (char *)values + i * h->value_size;
    if (bpf_map_lookup_elem(h->fd, (char *)keys + i * h->key_size, value)) {
      if (errno != ENOENT) return js_fail(env, "bpf_map_lookup_elem", errno);
      ((uint8_t *)found)[i] = 0;
    } else {
      ((uint8_t *)found)[i] = 1;
      hits++;
    }
  }
  return js_number(env, hits);
}

// mapUpdateBatchFrom(handle, keys, values, start, count, flags): number updated —
// BPF_MAP_UPDATE_BATCH over entries [start, start + count) of the buffers.
static napi_value map_update_batch_from(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  int64_t start, count, flags;
  void *keys, *values;
  if (!js_int(env, argv[3], &start) || !js_int(env, argv[4], &count) || !js_int(env, argv[5], &flags) || start < 0 || count < 0 || start + count > (1LL << 30))
    return js_type_error(env, "mapUpdateBatchFrom(handle, keys, values, start, count, flags)");
  if (!batch_buffer(env, argv[1], start + count, h->key_size, &keys) || !batch_buffer(env, argv[2], start + count, h->value_size, &values))
    return js_type_error(env, "mapUpdateBatchFrom: keys and values must be Uint8Arrays holding start + count keys and values");
  __u32 n = (__u32)count;
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = (__u64)flags);
  if (bpf_map_update_batch(h->fd, (char *)keys + start * h->key_size, (char *)values + start * h->value_size, &n, &opts)) {
    int saved = errno;
    // The kernel writes the count back only once it walks the entries; a count left as
    // given means it refused the call up front (flags, map type): nothing went in.
    if (n >= (__u32)count) n = 0;
    napi_value error;
    js_fail(env, "bpf_map_update_batch", saved);
    // Say how many went in before the failure (the kernel stops at the first bad entry).
    napi_get_and_clear_last_exception(env, &error);
    napi_set_named_property(env, error, "done", js_number(env, n));
    napi_throw(env, error);
    return NULL;
  }
  return js_number(env, n);
}

// mapDeleteMany(handle, keys, count): number deleted — BPF_MAP_DELETE_BATCH, carrying on past
// absent keys (the kernel stops a batch at the first one).
static napi_value map_delete_many(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  int64_t count;
  void *keys;
  if (!js_int(env, argv[2], &count) || count < 0 || count > (1 << 30)) return js_type_error(env, "mapDeleteMany(handle, keys, count)");
  if (!batch_buffer(env, argv[1], count, h->key_size, &keys)) return js_type_error(env, "mapDeleteMany: keys must be a Uint8Array holding count keys");
  int64_t deleted = 0, at = 0;
  while (at < count) {
    __u32 n = (__u32)(count - at);
    int err = bpf_map_delete_batch(h->fd, (char *)keys + at * h->key_size, &n, NULL);
    deleted += n;
    at += n;
    if (!err) continue;
    if (errno != ENOENT) return js_fail(env, "bpf_map_delete_batch", errno);
    at++; // the key at `at` was absent: skip it
  }
  return js_number(env, deleted);
}

// mapLookupBatchInto(handle, inCursor | null, outCursor, keys, values, count): { count, done } —
// BPF_MAP_LOOKUP_BATCH into the caller's buffers; cursors are opaque, max(8, keySize) bytes.
static napi_value map_lookup_batch_into(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  map_handle *h = handle_arg(env, argv[0]);
  if (!h) return NULL;
  size_t cursor_size = h->key_size < 8 ? 8 : h->key_size;
  void *in = NULL, *out, *keys, *values;
  size_t in_len = 0, out_len;
  int64_t count;
  bool first = js_is_null(env, argv[1]);
  if ((!first && !js_bytes(env, argv[1], &in, &in_len)) || !js_bytes(env, argv[2], &out, &out_len) || !js_int(env, argv[5], &count) || count <= 0 || count > (1 << 24))
    return js_type_error(env, "mapLookupBatchInto(handle, inCursor | null, outCursor, keys, values, count)");
  if ((!first && in_len < cursor_size) || out_len < cursor_size) return js_type_error(env, "mapLookupBatchInto: a cursor buffer is smaller than max(8, keySize) bytes");
  if (!batch_buffer(env, argv[3], count, h->key_size, &keys) || !batch_buffer(env, argv[4], count, h->value_size, &values))
    return js_type_error(env, "mapLookupBatchInto: keys and values must be Uint8Arrays holding count keys and values");
  __u32 n = (__u32)count;
  bool done = false;
  if (bpf_map_lookup_batch(h->fd, in, out, keys, values, &n, NULL)) {
    if (errno != ENOENT) return js_fail(env, "bpf_map_lookup_batch", errno);
    done = true;
  }
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "count", js_number(env, n));
  napi_set_named_property(env, result, "done", js_boolean(env, done));
  return result;
}

// mapCreate(type, keySize, valueSize, maxEntries, name): fd
static napi_value map_create(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!js_args(env, info, 5, argv)) return NULL;
  int64_t type, key, value, max;
  char name[16];
  if (!js_int(env, argv[0], &type) || !js_int(env, argv[1], &key) || !js_int(env, argv[2], &value) || !js_int(env, argv[3], &max) || !js_string(env, argv[4], name, sizeof name))
    return js_type_error(env, "mapCreate(type, keySize, valueSize, maxEntries, name (at most 15 characters))");
  int fd = bpf_map_create(type, name, key, value, max, NULL);
  if (fd < 0) return js_fail(env, "bpf_map_create", errno);
  return js_number(env, fd);
}

// mapInfo(fd): { type, keySize, valueSize, maxEntries, flags, name, id, btfId, btfKeyTypeId, btfValueTypeId }
static napi_value map_info(napi_env env, napi_callback_info info_) {
  napi_value argv[1];
  if (!js_args(env, info_, 1, argv)) return NULL;
  int64_t fd;
  if (!js_int(env, argv[0], &fd)) return js_type_error(env, "mapInfo(fd)");
  struct bpf_map_info info = {0};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return js_fail(env, "bpf_obj_get_info_by_fd", errno);
  napi_value r;
  napi_create_object(env, &r);
  js_set_number(env, r, "type", info.type);
  js_set_number(env, r, "keySize", info.key_size);
  js_set_number(env, r, "valueSize", info.value_size);
  js_set_number(env, r, "maxEntries", info.max_entries);
  js_set_number(env, r, "flags", info.map_flags);
  js_set_number(env, r, "id", info.id);
  js_set_number(env, r, "btfId", info.btf_id);
  js_set_number(env, r, "btfKeyTypeId", info.btf_key_type_id);
  js_set_number(env, r, "btfValueTypeId", info.btf_value_type_id);
  js_set_string(env, r, "name", info.name);
  return r;
}

void tsxdp_map_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("mapCreate", map_create), JS_FUNCTION("mapInfo", map_info), JS_FUNCTION("mapOpen", map_open), JS_FUNCTION("mapClose", map_close), JS_FUNCTION("mapNextKeyInto", map_next_key_into),
      JS_FUNCTION("mapLookupInto", map_lookup_into), JS_FUNCTION("mapUpdateElem", map_update_elem), JS_FUNCTION("mapDeleteElem", map_delete_elem),
      JS_FUNCTION("mapLookupMany", map_lookup_many), JS_FUNCTION("mapUpdateBatchFrom", map_update_batch_from), JS_FUNCTION("mapDeleteMany", map_delete_many),
      JS_FUNCTION("mapLookupBatchInto", map_lookup_batch_into),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
