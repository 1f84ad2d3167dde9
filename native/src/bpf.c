// tsxdp_bpf: the Node-API addon over libbpf. Thin on purpose: each function wraps one
// libbpf or syscall operation, checks its arguments, and returns plain values or throws an
// Error carrying `errno` and the libbpf log. Policy, defaults and wording live in
// runtime/ (TypeScript).
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <node_api.h>

#include "ids.h"
#include "isolate.h"
#include "map.h"
#include "xsk.h"

// ---- libbpf log capture ----------------------------------------------------------------
// libbpf prints warnings and the verifier log through this callback; we keep the last
// LOG_CAPACITY bytes so a failed load can attach them to the JavaScript error. Per thread:
// each worker_threads Worker loads programs on its own thread, and libbpf calls back on it.
#define LOG_CAPACITY (1 << 20)
static _Thread_local char *log_buffer;
static _Thread_local size_t log_length;

static void free_log(void *arg) {
  (void)arg;
  free(log_buffer);
  log_buffer = NULL;
  log_length = 0;
}

static int capture_print(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[4096];
  int n = vsnprintf(line, sizeof line, format, args);
  if (n <= 0) return 0;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  if (!log_buffer && !(log_buffer = malloc(LOG_CAPACITY))) return 0;
  if (log_length + len >= LOG_CAPACITY) {
    // Keep the tail: the verifier's conclusion is at the end.
    size_t keep = LOG_CAPACITY / 2;
    memmove(log_buffer, log_buffer + log_length - keep, keep);
    log_length = keep;
  }
  memcpy(log_buffer + log_length, line, len);
  log_length += len;
  log_buffer[log_length] = 0;
  return 0;
}

// ---- helpers ---------------------------------------------------------------------------
#define CHECK(env, call)                                          \
  do {                                                            \
    if ((call) != napi_ok) {                                      \
      napi_throw_error((env), "EINTERNAL", "Node-API call failed"); \
      return NULL;                                                \
    }                                                             \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  if (err < 0) err = -err;
  char message[512], reason[256];
  // libbpf's own codes (LIBBPF_ERRNO__*, 4000 and up) have no strerror text.
  if (err >= 4000) libbpf_strerror(err, reason, sizeof reason);
  else snprintf(reason, sizeof reason, "%s", strerror(err));
  snprintf(message, sizeof message, "%s: %s", what, reason);
  napi_value msg, error, code, log;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, error, "errno", code);
  napi_create_string_utf8(env, log_buffer ? log_buffer : "", log_length, &log);
  napi_set_named_property(env, error, "libbpfLog", log);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "EINVAL", message);
  return NULL;
}

static bool get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < expected) {
    napi_throw_type_error(env, "EINVAL", "missing arguments");
    return false;
  }
  return true;
}

static bool get_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static bool get_bytes(napi_env env, napi_value v, void **data, size_t *length) {
  bool is_typed;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok) return false;
  return type == napi_uint8_array;
}

static bool get_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len;
  return napi_get_value_string_utf8(env, v, out, size, &len) == napi_ok;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static napi_value make_bytes(napi_env env, const void *data, size_t length) {
  napi_value out;
  void *dest;
  napi_create_buffer_copy(env, length, data, &dest, &out);
  return out;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static void set_int(napi_env env, napi_value o, const char *key, int64_t v) {
  napi_set_named_property(env, o, key, make_int(env, v));
}
static void set_str(napi_env env, napi_value o, const char *key, const char *v) {
  napi_value s;
  napi_create_string_utf8(env, v ? v : "", NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, key, s);
}

// ---- objects ---------------------------------------------------------------------------
typedef struct {
  struct bpf_object *obj;
  bool loaded;
} object_handle;

static void object_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  object_handle *h = data;
  if (h->obj) bpf_object__close(h->obj);
  free(h);
}

static object_handle *get_object(napi_env env, napi_value v) {
  object_handle *h = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, (void **)&h) != napi_ok || !h) {
    napi_throw_type_error(env, "EINVAL", "not a BPF object handle");
    return NULL;
  }
  if (!h->obj) {
    napi_throw_error(env, "EBADF", "the BPF object is closed");
    return NULL;
  }
  return h;
}

// ---- isolation: a libbpf call tried in a child process first (native/src/isolate.c) ----
typedef struct {
  const void *data;
  size_t length;
  const struct bpf_object_open_opts *opts;
  struct bpf_object *obj;
} isolated_call;

static int isolated_open(void *arg) {
  isolated_call *c = arg;
  struct bpf_object *obj = bpf_object__open_mem(c->data, c->length, c->opts);
  if (libbpf_get_error(obj) || !obj) return 1;
  bpf_object__close(obj);
  return 0;
}

static int isolated_load(void *arg) {
  isolated_call *c = arg;
  // The child's copy must not pin (or reuse pins): it only shows that loading survives.
  struct bpf_map *map;
  bpf_object__for_each_map(map, c->obj) bpf_map__set_pin_path(map, NULL);
  return bpf_object__load(c->obj) ? 1 : 0;
}

// Throws when the child did not survive; returns true when the caller may go on.
static bool survived(napi_env env, const char *what, int (*call)(void *), isolated_call *c, int64_t timeout_ms) {
  if (timeout_ms <= 0) return true;
  tsxdp_isolate_result result;
  int err = tsxdp_isolate(call, c, (int)timeout_ms, &result);
  if (err) {
    throw_errno(env, what, err);
    return false;
  }
  if (!result.signal && !result.timed_out) return true;
  char message[256];
  snprintf(message, sizeof message, "%s: %s in an isolated child process (signal %d)", what, result.timed_out ? "timed out" : "crashed", result.signal);
  napi_value msg, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  set_int(env, error, "errno", EINVAL);
  set_int(env, error, "signal", result.signal);
  napi_value timed_out;
  napi_get_boolean(env, result.timed_out, &timed_out);
  napi_set_named_property(env, error, "timedOut", timed_out);
  set_int(env, error, "timeoutMs", timeout_ms);
  napi_throw(env, error);
  return false;
}

// objectOpen(elf: Uint8Array, name: string, pinRoot: string, isolateMs: number): handle
// isolateMs > 0: parse in a child first (bounded by isolateMs), in-process only if it survived.
static napi_value object_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  void *data;
  size_t length;
  int64_t isolate_ms;
  char name[256], pin_root[4096];
  if (!get_bytes(env, argv[0], &data, &length) || length == 0) return throw_type(env, "objectOpen: expected the ELF bytes");
  if (!get_string(env, argv[1], name, sizeof name) || !get_string(env, argv[2], pin_root, sizeof pin_root)) return throw_type(env, "objectOpen: expected strings");
  if (!get_int(env, argv[3], &isolate_ms)) return throw_type(env, "objectOpen: expected isolateMs");
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name[0] ? name : NULL, .pin_root_path = pin_root[0] ? pin_root : NULL);
  log_length = 0;
  isolated_call call = {.data = data, .length = length, .opts = &opts};
  if (!survived(env, "bpf_object__open_mem", isolated_open, &call, isolate_ms)) return NULL;
  struct bpf_object *obj = bpf_object__open_mem(data, length, &opts);
  int err = libbpf_get_error(obj);
  if (err || !obj) return throw_errno(env, "bpf_object__open_mem", err ? err : EINVAL);
  object_handle *h = calloc(1, sizeof *h);
  h->obj = obj;
  napi_value out;
  CHECK(env, napi_create_external(env, h, object_finalize, NULL, &out));
  return out;
}

// objectLoad(handle, isolateMs): void — isolateMs > 0: load in a child first (see objectOpen)
static napi_value object_load(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  int64_t isolate_ms;
  if (!get_int(env, argv[1], &isolate_ms)) return throw_type(env, "objectLoad: expected isolateMs");
  log_length = 0;
  isolated_call call = {.obj = h->obj};
  if (!survived(env, "bpf_object__load", isolated_load, &call, isolate_ms)) return NULL;
  log_length = 0;
  int err = bpf_object__load(h->obj);
  if (err) return throw_errno(env, "bpf_object__load", err);
  h->loaded = true;
  return undefined(env);
}

// objectClose(handle): void — idempotent
static napi_value object_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  object_handle *h = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&h) == napi_ok && h && h->obj) {
    bpf_object__close(h->obj);
    h->obj = NULL;
  }
  return undefined(env);
}

// objectPrograms(handle): { name, section, fd }[]
static napi_value object_programs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, h->obj) {
    napi_value p;
    napi_create_object(env, &p);
    set_str(env, p, "name", bpf_program__name(prog));
    set_str(env, p, "section", bpf_program__section_name(prog));
    set_int(env, p, "fd", bpf_program__fd(prog));
    napi_set_element(env, list, i++, p);
  }
  return list;
}

// objectMaps(handle): { name, type, keySize, valueSize, maxEntries, flags, fd, btfKeyTypeId, btfValueTypeId, internal }[]
static napi_value object_maps(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  struct bpf_map *map;
  bpf_object__for_each_map(map, h->obj) {
    napi_value m;
    napi_create_object(env, &m);
    set_str(env, m, "name", bpf_map__name(map));
    set_int(env, m, "type", bpf_map__type(map));
    set_int(env, m, "keySize", bpf_map__key_size(map));
    set_int(env, m, "valueSize", bpf_map__value_size(map));
    set_int(env, m, "maxEntries", bpf_map__max_entries(map));
    set_int(env, m, "flags", bpf_map__map_flags(map));
    set_int(env, m, "fd", bpf_map__fd(map));
    set_int(env, m, "btfKeyTypeId", bpf_map__btf_key_type_id(map));
    set_int(env, m, "btfValueTypeId", bpf_map__btf_value_type_id(map));
    napi_value internal;
    napi_get_boolean(env, bpf_map__is_internal(map), &internal);
    napi_set_named_property(env, m, "internal", internal);
    napi_set_element(env, list, i++, m);
  }
  return list;
}

static struct bpf_map *find_map(napi_env env, object_handle *h, napi_value name_value) {
  char name[256];
  if (!get_string(env, name_value, name, sizeof name)) {
    napi_throw_type_error(env, "EINVAL", "expected a map name");
    return NULL;
  }
  struct bpf_map *map = bpf_object__find_map_by_name(h->obj, name);
  if (!map) {
    throw_errno(env, name, ENOENT);
    return NULL;
  }
  return map;
}

// objectBtf(handle): Uint8Array | undefined — the object's raw BTF (after libbpf's fix-ups)
static napi_value object_btf(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  struct btf *btf = bpf_object__btf(h->obj);
  if (!btf) return undefined(env);
  __u32 size = 0;
  const void *raw = btf__raw_data(btf, &size);
  if (!raw) return undefined(env);
  return make_bytes(env, raw, size);
}

// mapInitialValue(handle, name): Uint8Array — .rodata/.data contents before load
static napi_value map_initial_value(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  struct bpf_map *map = find_map(env, h, argv[1]);
  if (!map) return NULL;
  size_t size = 0;
  const void *data = bpf_map__initial_value(map, &size);
  if (!data) return throw_errno(env, "bpf_map__initial_value", EINVAL);
  return make_bytes(env, data, size);
}

// mapSetInitialValue(handle, name, bytes): void
static napi_value map_set_initial_value(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  struct bpf_map *map = find_map(env, h, argv[1]);
  if (!map) return NULL;
  void *data;
  size_t length;
  if (!get_bytes(env, argv[2], &data, &length)) return throw_type(env, "mapSetInitialValue: expected bytes");
  int err = bpf_map__set_initial_value(map, data, length);
  if (err) return throw_errno(env, "bpf_map__set_initial_value", err);
  return undefined(env);
}

// mapSetPinPath(handle, name, path): void — reuse a map pinned there, or pin it at load
static napi_value map_set_pin_path(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  object_handle *h = get_object(env, argv[0]);
  if (!h) return NULL;
  struct bpf_map *map = find_map(env, h, argv[1]);
  if (!map) return NULL;
  char path[4096];
  if (!get_string(env, argv[2], path, sizeof path)) return throw_type(env, "expected a path");
  int err = bpf_map__set_pin_path(map, path);
  if (err) return throw_errno(env, "bpf_map__set_pin_path", err);
  return undefined(env);
}

// ---- maps by fd --------------------------------------------------------------------------
// The fd-based map calls below serve the CLI, globals and XskMaps (hot paths use map.c's
// handles). The kernel copies key_size and value_size bytes whatever the buffers hold, so
// the buffers are checked against the map's real sizes first: a short buffer would be read
// or written past its end.
static bool map_buffers_fit(napi_env env, int64_t fd, const char *what, size_t key_len, bool has_key, size_t value_len, bool has_value) {
  struct bpf_map_info map = {0};
  __u32 len = sizeof map;
  if (fd < 0 || fd > 0x7fffffff || bpf_obj_get_info_by_fd((int)fd, &map, &len)) {
    throw_errno(env, what, fd < 0 || fd > 0x7fffffff ? EBADF : errno);
    return false;
  }
  size_t value_bytes = map.value_size;
  if (map.type == BPF_MAP_TYPE_PERCPU_HASH || map.type == BPF_MAP_TYPE_PERCPU_ARRAY || map.type == BPF_MAP_TYPE_LRU_PERCPU_HASH || map.type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE) {
    int cpus = libbpf_num_possible_cpus();
    value_bytes = ((value_bytes + 7) / 8) * 8 * (size_t)(cpus > 0 ? cpus : 1);
  }
  if ((has_key && key_len < map.key_size) || (has_value && value_len < value_bytes)) {
    char message[200];
    snprintf(message, sizeof message, "%s: the map has %u-byte keys and %zu-byte values; the buffers hold %zu and %zu", what, map.key_size, value_bytes, key_len, value_len);
    throw_type(env, message);
    return false;
  }
  return true;
}

// mapLookup(fd, key, valueSize, flags): Uint8Array | null
static napi_value map_lookup(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  int64_t fd, value_size, flags;
  void *key;
  size_t key_len;
  if (!get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &key, &key_len) || !get_int(env, argv[2], &value_size) || !get_int(env, argv[3], &flags) || value_size <= 0 || value_size > (1 << 26))
    return throw_type(env, "mapLookup(fd, key, valueSize, flags)");
  if (!map_buffers_fit(env, fd, "mapLookup", key_len, true, (size_t)value_size, true)) return NULL;
  void *value = calloc(1, value_size);
  int err = bpf_map_lookup_elem_flags(fd, key, value, flags);
  if (err) {
    free(value);
    if (errno == ENOENT) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return throw_errno(env, "bpf_map_lookup_elem", errno);
  }
  napi_value out = make_bytes(env, value, value_size);
  free(value);
  return out;
}

// mapUpdate(fd, key, value, flags): void
static napi_value map_update(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  int64_t fd, flags;
  void *key, *value;
  size_t key_len, value_len;
  if (!get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &key, &key_len) || !get_bytes(env, argv[2], &value, &value_len) || !get_int(env, argv[3], &flags))
    return throw_type(env, "mapUpdate(fd, key, value, flags)");
  if (!map_buffers_fit(env, fd, "mapUpdate", key_len, true, value_len, true)) return NULL;
  if (bpf_map_update_elem(fd, key, value, flags)) return throw_errno(env, "bpf_map_update_elem", errno);
  return undefined(env);
}

// mapDelete(fd, key): boolean (false when absent)
static napi_value map_delete(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  int64_t fd;
  void *key;
  size_t key_len;
  if (!get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &key, &key_len)) return throw_type(env, "mapDelete(fd, key)");
  if (!map_buffers_fit(env, fd, "mapDelete", key_len, true, 0, false)) return NULL;
  napi_value out;
  if (bpf_map_delete_elem(fd, key)) {
    if (errno != ENOENT) return throw_errno(env, "bpf_map_delete_elem", errno);
    napi_get_boolean(env, false, &out);
  } else {
    napi_get_boolean(env, true, &out);
  }
  return out;
}

// mapNextKey(fd, key | null, keySize): Uint8Array | null
static napi_value map_next_key(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int64_t fd, key_size;
  void *key = NULL;
  size_t key_len = 0;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (!get_int(env, argv[0], &fd) || !get_int(env, argv[2], &key_size) || key_size <= 0 || key_size > 65536 || (t != napi_null && !get_bytes(env, argv[1], &key, &key_len)))
    return throw_type(env, "mapNextKey(fd, key | null, keySize)");
  // The kernel writes key_size bytes into `next` and reads as many from `key`.
  if (!map_buffers_fit(env, fd, "mapNextKey", (size_t)key_size, true, 0, false)) return NULL;
  if (t != napi_null && key_len < (size_t)key_size) return throw_type(env, "mapNextKey: the key is shorter than keySize");
  void *next = calloc(1, key_size);
  if (bpf_map_get_next_key(fd, t == napi_null ? NULL : key, next)) {
    free(next);
    if (errno == ENOENT) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return throw_errno(env, "bpf_map_get_next_key", errno);
  }
  napi_value out = make_bytes(env, next, key_size);
  free(next);
  return out;
}

// Batch operations (BPF_MAP_*_BATCH) work on map handles: native/src/map.c.

// ---- programs ----------------------------------------------------------------------------
// progTestRun(fd, packet, repeat, outSize, flags, ctxIn | null): { retval, packet, durationNs }
static napi_value prog_test_run(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!get_args(env, info, 6, argv)) return NULL;
  int64_t fd, repeat, out_size, flags;
  void *data, *ctx = NULL;
  size_t data_len, ctx_len = 0;
  napi_valuetype t;
  napi_typeof(env, argv[5], &t);
  if (!get_int(env, argv[0], &fd) || !get_bytes(env, argv[1], &data, &data_len) || !get_int(env, argv[2], &repeat) || !get_int(env, argv[3], &out_size) || !get_int(env, argv[4], &flags) || out_size < 0 || out_size > (1 << 24) || (t != napi_null && !get_bytes(env, argv[5], &ctx, &ctx_len)))
    return throw_type(env, "progTestRun(fd, packet, repeat, outSize, flags, ctx)");
  void *out = calloc(1, out_size ? out_size : 1);
  // Live-frame runs take no output buffer (the frames really leave).
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = data_len, .data_out = out_size ? out : NULL, .data_size_out = out_size, .repeat = repeat, .flags = flags, .ctx_in = ctx, .ctx_size_in = ctx_len);
  if (bpf_prog_test_run_opts(fd, &opts)) {
    int saved = errno;
    free(out);
    return throw_errno(env, "bpf_prog_test_run_opts", saved);
  }
  napi_value result;
  napi_create_object(env, &result);
  set_int(env, result, "retval", opts.retval);
  set_int(env, result, "durationNs", opts.duration);
  size_t produced = opts.data_size_out < (size_t)out_size ? opts.data_size_out : (size_t)out_size;
  napi_set_named_property(env, result, "packet", make_bytes(env, out, produced));
  free(out);
  return result;
}

// xdpLinkCreate(progFd, ifindex, flags): linkFd
static napi_value xdp_link_create(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  int64_t prog_fd, ifindex, flags;
  if (!get_int(env, argv[0], &prog_fd) || !get_int(env, argv[1], &ifindex) || !get_int(env, argv[2], &flags)) return throw_type(env, "xdpLinkCreate(progFd, ifindex, flags)");
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
  int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
  if (fd < 0) return throw_errno(env, "bpf_link_create", errno);
  return make_int(env, fd);
}

// xdpAttach(ifindex, progFd, flags, oldProgFd): void — netlink attach (fallback)
static napi_value xdp_attach(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!get_args(env, info, 4, argv)) return NULL;
  int64_t ifindex, prog_fd, flags, old_fd;
  if (!get_int(env, argv[0], &ifindex) || !get_int(env, argv[1], &prog_fd) || !get_int(env, argv[2], &flags) || !get_int(env, argv[3], &old_fd)) return throw_type(env, "xdpAttach(ifindex, progFd, flags, oldProgFd)");
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = (int)old_fd);
  int err = bpf_xdp_attach(ifindex, prog_fd, flags, old_fd >= 0 ? &opts : NULL);
  if (err) return throw_errno(env, "bpf_xdp_attach", err);
  return undefined(env);
}

// xdpDetach(ifindex, flags): void
static napi_value xdp_detach(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  int64_t ifindex, flags;
  if (!get_int(env, argv[0], &ifindex) || !get_int(env, argv[1], &flags)) return throw_type(env, "xdpDetach(ifindex, flags)");
  int err = bpf_xdp_detach(ifindex, flags, NULL);
  if (err) return throw_errno(env, "bpf_xdp_detach", err);
  return undefined(env);
}

// xdpQuery(ifindex): { progId, mode }
static napi_value xdp_query(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int64_t ifindex;
  if (!get_int(env, argv[0], &ifindex)) return throw_type(env, "xdpQuery(ifindex)");
  LIBBPF_OPTS(bpf_xdp_query_opts, opts);
  int err = bpf_xdp_query(ifindex, 0, &opts);
  if (err) return throw_errno(env, "bpf_xdp_query", err);
  napi_value result;
  napi_create_object(env, &result);
  set_int(env, result, "progId", opts.prog_id);
  set_int(env, result, "mode", opts.attach_mode);
  return result;
}

// ---- fds, pins, misc -----------------------------------------------------------------------
static napi_value fd_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int64_t fd;
  if (!get_int(env, argv[0], &fd) || fd < 0) return throw_type(env, "close(fd)");
  if (close(fd)) return throw_errno(env, "close", errno);
  return undefined(env);
}

static napi_value obj_pin(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  int64_t fd;
  char path[4096];
  if (!get_int(env, argv[0], &fd) || !get_string(env, argv[1], path, sizeof path)) return throw_type(env, "objPin(fd, path)");
  if (bpf_obj_pin(fd, path)) return throw_errno(env, "bpf_obj_pin", errno);
  return undefined(env);
}

static napi_value obj_get(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char path[4096];
  if (!get_string(env, argv[0], path, sizeof path)) return throw_type(env, "objGet(path)");
  int fd = bpf_obj_get(path);
  if (fd < 0) return throw_errno(env, "bpf_obj_get", errno);
  return make_int(env, fd);
}

// mapInfo(fd): { type, keySize, valueSize, maxEntries, flags, name, id, btfId, btfKeyTypeId, btfValueTypeId }
static napi_value map_info(napi_env env, napi_callback_info info_) {
  napi_value argv[1];
  if (!get_args(env, info_, 1, argv)) return NULL;
  int64_t fd;
  if (!get_int(env, argv[0], &fd)) return throw_type(env, "mapInfo(fd)");
  struct bpf_map_info info = {0};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return throw_errno(env, "bpf_obj_get_info_by_fd", errno);
  napi_value r;
  napi_create_object(env, &r);
  set_int(env, r, "type", info.type);
  set_int(env, r, "keySize", info.key_size);
  set_int(env, r, "valueSize", info.value_size);
  set_int(env, r, "maxEntries", info.max_entries);
  set_int(env, r, "flags", info.map_flags);
  set_int(env, r, "id", info.id);
  set_int(env, r, "btfId", info.btf_id);
  set_int(env, r, "btfKeyTypeId", info.btf_key_type_id);
  set_int(env, r, "btfValueTypeId", info.btf_value_type_id);
  set_str(env, r, "name", info.name);
  return r;
}

// progInfo(fd): { id, xlatedInsns, jitedBytes, verifiedInsns, runTimeNs, runCount, name }
static napi_value prog_info(napi_env env, napi_callback_info info_) {
  napi_value argv[1];
  if (!get_args(env, info_, 1, argv)) return NULL;
  int64_t fd;
  if (!get_int(env, argv[0], &fd)) return throw_type(env, "progInfo(fd)");
  struct bpf_prog_info info = {0};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return throw_errno(env, "bpf_obj_get_info_by_fd", errno);
  napi_value r;
  napi_create_object(env, &r);
  set_int(env, r, "id", info.id);
  set_int(env, r, "xlatedInsns", info.xlated_prog_len / 8);
  set_int(env, r, "jitedBytes", info.jited_prog_len);
  set_int(env, r, "verifiedInsns", info.verified_insns);
  set_int(env, r, "runTimeNs", info.run_time_ns);
  set_int(env, r, "runCount", info.run_cnt);
  set_str(env, r, "name", info.name);
  return r;
}

// btfById(id): Uint8Array — raw BTF of a loaded object (for maps opened from a pin)
static napi_value btf_by_id(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int64_t id;
  if (!get_int(env, argv[0], &id)) return throw_type(env, "btfById(id)");
  struct btf *btf = btf__load_from_kernel_by_id(id);
  int err = libbpf_get_error(btf);
  if (err || !btf) return throw_errno(env, "btf__load_from_kernel_by_id", err ? err : ENOENT);
  __u32 size = 0;
  const void *raw = btf__raw_data(btf, &size);
  napi_value out = raw ? make_bytes(env, raw, size) : undefined(env);
  btf__free(btf);
  return out;
}

static napi_value if_index(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  char name[IF_NAMESIZE + 1];
  if (!get_string(env, argv[0], name, sizeof name)) return throw_type(env, "ifIndex(name)");
  unsigned index = if_nametoindex(name);
  if (!index) return throw_errno(env, name, errno);
  return make_int(env, index);
}

static napi_value possible_cpus(napi_env env, napi_callback_info info) {
  (void)info;
  int n = libbpf_num_possible_cpus();
  if (n < 0) return throw_errno(env, "libbpf_num_possible_cpus", n);
  return make_int(env, n);
}

static napi_value last_log(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  napi_create_string_utf8(env, log_buffer ? log_buffer : "", log_length, &s);
  return s;
}

// ---- ring buffers ------------------------------------------------------------------------
typedef struct {
  struct ring_buffer *rb;
  napi_env env;
  napi_value records;
  uint32_t count;
  uint32_t limit;
} ring_handle;

static int ring_sample(void *ctx, void *data, size_t size) {
  ring_handle *h = ctx;
  napi_set_element(h->env, h->records, h->count++, make_bytes(h->env, data, size));
  // A positive return stops this consume round: the batch is full.
  return h->count >= h->limit ? 1 : 0;
}

static void ring_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  ring_handle *h = data;
  if (h->rb) ring_buffer__free(h->rb);
  free(h);
}

// ringNew(mapFd): handle
static napi_value ring_new(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  int64_t fd;
  if (!get_int(env, argv[0], &fd)) return throw_type(env, "ringNew(mapFd)");
  ring_handle *h = calloc(1, sizeof *h);
  h->rb = ring_buffer__new(fd, ring_sample, h, NULL);
  if (!h->rb) {
    int saved = errno;
    free(h);
    return throw_errno(env, "ring_buffer__new", saved);
  }
  napi_value out;
  CHECK(env, napi_create_external(env, h, ring_finalize, NULL, &out));
  return out;
}

// ringConsume(handle, limit): Uint8Array[] — the records available now (at most limit)
static napi_value ring_consume(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  ring_handle *h = NULL;
  int64_t limit;
  if (napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h || !h->rb || !get_int(env, argv[1], &limit) || limit <= 0) return throw_type(env, "ringConsume(handle, limit)");
  h->env = env;
  napi_create_array(env, &h->records);
  h->count = 0;
  h->limit = limit;
  int err = ring_buffer__consume(h->rb);
  if (err < 0 && err != -EINTR) return throw_errno(env, "ring_buffer__consume", err);
  return h->records;
}

// ringEpollFd(handle): fd to wait on
static napi_value ring_epoll_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  ring_handle *h = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h || !h->rb) return throw_type(env, "ringEpollFd(handle)");
  return make_int(env, ring_buffer__epoll_fd(h->rb));
}

static napi_value ring_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  ring_handle *h = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&h) == napi_ok && h && h->rb) {
    ring_buffer__free(h->rb);
    h->rb = NULL;
  }
  return undefined(env);
}

// ---- module ------------------------------------------------------------------------------
static napi_value init(napi_env env, napi_value exports) {
  libbpf_set_print(capture_print);
  // The environment's thread frees its log when the environment (main or Worker) ends.
  napi_add_env_cleanup_hook(env, free_log, NULL);
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  napi_property_descriptor props[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
      FN("objectOpen", object_open), FN("objectLoad", object_load), FN("objectClose", object_close),
      FN("objectPrograms", object_programs), FN("objectMaps", object_maps), FN("objectBtf", object_btf),
      FN("mapInitialValue", map_initial_value), FN("mapSetInitialValue", map_set_initial_value), FN("mapSetPinPath", map_set_pin_path),
      FN("mapLookup", map_lookup), FN("mapUpdate", map_update), FN("mapDelete", map_delete), FN("mapNextKey", map_next_key),
      FN("mapInfo", map_info), FN("btfById", btf_by_id), FN("progInfo", prog_info),
      FN("progTestRun", prog_test_run), FN("xdpLinkCreate", xdp_link_create), FN("xdpAttach", xdp_attach),
      FN("xdpDetach", xdp_detach), FN("xdpQuery", xdp_query),
      FN("close", fd_close), FN("objPin", obj_pin), FN("objGet", obj_get), FN("ifIndex", if_index),
      FN("possibleCpus", possible_cpus), FN("lastLog", last_log),
      FN("ringNew", ring_new), FN("ringConsume", ring_consume), FN("ringEpollFd", ring_epoll_fd), FN("ringFree", ring_free),
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  tsxdp_map_init(env, exports);
  tsxdp_xsk_init(env, exports);
  tsxdp_ids_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
