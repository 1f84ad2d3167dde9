// BPF objects (libbpf's bpf_object): open from ELF bytes, load, list programs and maps, read
// the BTF, and the per-map settings that must come before load (initial values of global
// sections, pin paths). Opening and loading can be tried in a forked child first
// (isolate.c), so that a libbpf parser crash on a malformed ELF ends the child, not Node.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <node_api.h>

#include "addon.h"
#include "isolate.h"
#include "js.h"
#include "libbpf_log.h"

typedef struct {
  struct bpf_object *obj;  // NULL once closed
} object_handle;

static const napi_type_tag object_tag = {0x7473786470626f62ULL, 0x6a68616e646c6531ULL};

static void object_finalize(napi_env env, void *data, void *hint) {
  object_handle *h = data;
  if (h->obj) bpf_object__close(h->obj);
  free(h);
}

static object_handle *open_object(napi_env env, napi_value v) {
  object_handle *h = js_external(env, v, &object_tag);
  if (!h) {
    js_type_error(env, "not a BPF object handle");
    return NULL;
  }
  if (!h->obj) {
    napi_throw_error(env, "EBADF", "the BPF object is closed");
    return NULL;
  }
  return h;
}

// ---- isolation: a libbpf call tried in a child process first -------------------------------
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
    libbpf_fail(env, what, err);
    return false;
  }
  if (!result.signal && !result.timed_out) return true;
  char message[256];
  snprintf(message, sizeof message, "%s: %s in an isolated child process (signal %d)", what, result.timed_out ? "timed out" : "crashed", result.signal);
  napi_value msg, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  js_set_number(env, error, "errno", EINVAL);
  js_set_number(env, error, "signal", result.signal);
  napi_set_named_property(env, error, "timedOut", js_boolean(env, result.timed_out));
  js_set_number(env, error, "timeoutMs", timeout_ms);
  napi_throw(env, error);
  return false;
}

// objectOpen(elf: Uint8Array, name: string, pinRoot: string, isolateMs: number): handle
// isolateMs > 0: parse in a child first (bounded by isolateMs), in-process only if it survived.
static napi_value object_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  void *data;
  size_t length;
  int64_t isolate_ms;
  char name[256], pin_root[4096];
  if (!js_bytes(env, argv[0], &data, &length) || length == 0) return js_type_error(env, "objectOpen: expected the ELF bytes");
  if (!js_string(env, argv[1], name, sizeof name) || !js_string(env, argv[2], pin_root, sizeof pin_root)) return js_type_error(env, "objectOpen: expected strings");
  if (!js_int(env, argv[3], &isolate_ms)) return js_type_error(env, "objectOpen: expected isolateMs");
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name[0] ? name : NULL, .pin_root_path = pin_root[0] ? pin_root : NULL);
  libbpf_log_clear();
  isolated_call call = {.data = data, .length = length, .opts = &opts};
  if (!survived(env, "bpf_object__open_mem", isolated_open, &call, isolate_ms)) return NULL;
  struct bpf_object *obj = bpf_object__open_mem(data, length, &opts);
  int err = libbpf_get_error(obj);
  if (err || !obj) return libbpf_fail(env, "bpf_object__open_mem", err ? err : EINVAL);
  object_handle *h = calloc(1, sizeof *h);
  if (!h) {
    bpf_object__close(obj);
    return js_fail(env, "objectOpen", ENOMEM);
  }
  h->obj = obj;
  napi_value out = js_external_new(env, h, object_finalize, &object_tag);
  if (!out) {
    object_finalize(env, h, NULL);
    return js_fail(env, "objectOpen", ENOMEM);
  }
  return out;
}

// objectLoad(handle, isolateMs): void — isolateMs > 0: load in a child first (see objectOpen)
static napi_value object_load(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  object_handle *h = open_object(env, argv[0]);
  if (!h) return NULL;
  int64_t isolate_ms;
  if (!js_int(env, argv[1], &isolate_ms)) return js_type_error(env, "objectLoad: expected isolateMs");
  libbpf_log_clear();
  isolated_call call = {.obj = h->obj};
  if (!survived(env, "bpf_object__load", isolated_load, &call, isolate_ms)) return NULL;
  libbpf_log_clear();
  int err = bpf_object__load(h->obj);
  if (err) return libbpf_fail(env, "bpf_object__load", err);
  return js_undefined(env);
}

// objectClose(handle): void — idempotent
static napi_value object_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  object_handle *h = js_external(env, argv[0], &object_tag);
  if (h && h->obj) {
    bpf_object__close(h->obj);
    h->obj = NULL;
  }
  return js_undefined(env);
}

// objectPrograms(handle): { name, section, fd }[]
static napi_value object_programs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  object_handle *h = open_object(env, argv[0]);
  if (!h) return NULL;
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, h->obj) {
    napi_value p;
    napi_create_object(env, &p);
    js_set_string(env, p, "name", bpf_program__name(prog));
    js_set_string(env, p, "section", bpf_program__section_name(prog));
    js_set_number(env, p, "fd", bpf_program__fd(prog));
    napi_set_element(env, list, i++, p);
  }
  return list;
}

// objectMaps(handle): { name, type, keySize, valueSize, maxEntries, flags, fd, btfKeyTypeId, btfValueTypeId, internal }[]
static napi_value object_maps(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  object_handle *h = open_object(env, argv[0]);
  if (!h) return NULL;
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  struct bpf_map *map;
  bpf_object__for_each_map(map, h->obj) {
    napi_value m;
    napi_create_object(env, &m);
    js_set_string(env, m, "name", bpf_map__name(map));
    js_set_number(env, m, "type", bpf_map__type(map));
    js_set_number(env, m, "keySize", bpf_map__key_size(map));
    js_set_number(env, m, "valueSize", bpf_map__value_size(map));
    js_set_number(env, m, "maxEntries", bpf_map__max_entries(map));
    js_set_number(env, m, "flags", bpf_map__map_flags(map));
    js_set_number(env, m, "fd", bpf_map__fd(map));
    js_set_number(env, m, "btfKeyTypeId", bpf_map__btf_key_type_id(map));
    js_set_number(env, m, "btfValueTypeId", bpf_map__btf_value_type_id(map));
    napi_set_named_property(env, m, "internal", js_boolean(env, bpf_map__is_internal(map)));
    napi_set_element(env, list, i++, m);
  }
  return list;
}

// objectBtf(handle): Uint8Array | undefined — the object's raw BTF (after libbpf's fix-ups)
static napi_value object_btf(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  object_handle *h = open_object(env, argv[0]);
  if (!h) return NULL;
  struct btf *btf = bpf_object__btf(h->obj);
  if (!btf) return js_undefined(env);
  __u32 size = 0;
  const void *raw = btf__raw_data(btf, &size);
  if (!raw) return js_undefined(env);
  return js_bytes_copy(env, raw, size);
}

// The open object and the map named by (handle, name) arguments; NULL (thrown) otherwise.
static struct bpf_map *object_map_args(napi_env env, napi_value handle, napi_value name_value) {
  object_handle *h = open_object(env, handle);
  if (!h) return NULL;
  char name[256];
  if (!js_string(env, name_value, name, sizeof name)) {
    js_type_error(env, "expected a map name");
    return NULL;
  }
  struct bpf_map *map = bpf_object__find_map_by_name(h->obj, name);
  if (!map) libbpf_fail(env, name, ENOENT);
  return map;
}

// mapInitialValue(handle, name): Uint8Array — .rodata/.data contents before load
static napi_value map_initial_value(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  struct bpf_map *map = object_map_args(env, argv[0], argv[1]);
  if (!map) return NULL;
  size_t size = 0;
  const void *data = bpf_map__initial_value(map, &size);
  if (!data) return libbpf_fail(env, "bpf_map__initial_value", EINVAL);
  return js_bytes_copy(env, data, size);
}

// mapSetInitialValue(handle, name, bytes): void
static napi_value map_set_initial_value(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  struct bpf_map *map = object_map_args(env, argv[0], argv[1]);
  if (!map) return NULL;
  void *data;
  size_t length;
  if (!js_bytes(env, argv[2], &data, &length)) return js_type_error(env, "mapSetInitialValue: expected bytes");
  int err = bpf_map__set_initial_value(map, data, length);
  if (err) return libbpf_fail(env, "bpf_map__set_initial_value", err);
  return js_undefined(env);
}

// mapSetPinPath(handle, name, path): void — reuse a map pinned there, or pin it at load
static napi_value map_set_pin_path(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  struct bpf_map *map = object_map_args(env, argv[0], argv[1]);
  if (!map) return NULL;
  char path[4096];
  if (!js_string(env, argv[2], path, sizeof path)) return js_type_error(env, "expected a path");
  int err = bpf_map__set_pin_path(map, path);
  if (err) return libbpf_fail(env, "bpf_map__set_pin_path", err);
  return js_undefined(env);
}

void tsxdp_object_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("objectOpen", object_open), JS_FUNCTION("objectLoad", object_load), JS_FUNCTION("objectClose", object_close),
      JS_FUNCTION("objectPrograms", object_programs), JS_FUNCTION("objectMaps", object_maps), JS_FUNCTION("objectBtf", object_btf),
      JS_FUNCTION("mapInitialValue", map_initial_value), JS_FUNCTION("mapSetInitialValue", map_set_initial_value), JS_FUNCTION("mapSetPinPath", map_set_pin_path),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
