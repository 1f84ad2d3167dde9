// See js.h.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "js.h"

napi_value js_fail(napi_env env, const char *what, int err) {
  if (err < 0) err = -err;
  char message[512], reason[256];
  if (err >= 4000) libbpf_strerror(err, reason, sizeof reason);
  else snprintf(reason, sizeof reason, "%s", strerror(err));
  snprintf(message, sizeof message, "%s: %s", what, reason);
  napi_value msg, error, code;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return NULL;
}

napi_value js_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "EINVAL", message);
  return NULL;
}

bool js_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, "EINVAL", "missing arguments");
    return false;
  }
  return true;
}

bool js_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_number && napi_get_value_int64(env, v, out) == napi_ok;
}

bool js_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len >= size) return false;
  return napi_get_value_string_utf8(env, v, out, size, &len) == napi_ok;
}

// A typed array's elements when it is of `want` type (false for anything else).
static bool typed_array_of(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  bool is;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok) return false;
  return type == want;
}

bool js_bytes(napi_env env, napi_value v, void **data, size_t *length) {
  return typed_array_of(env, v, napi_uint8_array, data, length);
}

bool js_u32_array(napi_env env, napi_value v, uint32_t **data, size_t *length) {
  return typed_array_of(env, v, napi_uint32_array, (void **)data, length);
}

bool js_is_null(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

bool js_exception_pending(napi_env env) {
  bool pending = false;
  return napi_is_exception_pending(env, &pending) == napi_ok && pending;
}

napi_value js_number(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value js_boolean(napi_env env, bool v) {
  napi_value out;
  napi_get_boolean(env, v, &out);
  return out;
}

napi_value js_undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value js_null(napi_env env) {
  napi_value n;
  napi_get_null(env, &n);
  return n;
}

napi_value js_bytes_copy(napi_env env, const void *data, size_t length) {
  napi_value out;
  void *dest;
  if (napi_create_buffer_copy(env, length, data, &dest, &out) != napi_ok) return js_fail(env, "copy bytes to JavaScript", ENOMEM);
  return out;
}

void js_set_number(napi_env env, napi_value object, const char *key, int64_t v) {
  napi_set_named_property(env, object, key, js_number(env, v));
}

void js_set_string(napi_env env, napi_value object, const char *key, const char *v) {
  napi_value s;
  napi_create_string_utf8(env, v ? v : "", NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, object, key, s);
}

napi_value js_external_new(napi_env env, void *data, napi_finalize finalize, const napi_type_tag *tag) {
  napi_value out;
  if (napi_create_external(env, data, finalize, NULL, &out) != napi_ok) return NULL;
  napi_type_tag_object(env, out, tag);
  return out;
}

void *js_external(napi_env env, napi_value v, const napi_type_tag *tag) {
  void *p = NULL;
  napi_valuetype t;
  bool ok = false;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}
