// Argument and result helpers shared by every file of the addon: JavaScript errors carrying
// an errno, checked reads of numbers, strings and byte arrays, tagged external handles.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

// Throws an Error "WHAT: strerror(err)" with `errno` set (libbpf's own codes, 4000 and up,
// in libbpf's words); returns NULL for `return js_fail(…)`.
napi_value js_fail(napi_env env, const char *what, int err);
// Throws a TypeError with code EINVAL; returns NULL.
napi_value js_type_error(napi_env env, const char *message);
// Reads `n` arguments into argv; throws (and returns false) when fewer were passed.
bool js_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);
bool js_int(napi_env env, napi_value v, int64_t *out);
// A string into out[size] (false for anything else, or when it does not fit).
bool js_string(napi_env env, napi_value v, char *out, size_t size);
// A Uint8Array's bytes (false for anything else).
bool js_bytes(napi_env env, napi_value v, void **data, size_t *length);
// A Uint32Array's elements (false for anything else).
bool js_u32_array(napi_env env, napi_value v, uint32_t **data, size_t *length);
bool js_is_null(napi_env env, napi_value v);
bool js_exception_pending(napi_env env);
napi_value js_number(napi_env env, int64_t v);
napi_value js_boolean(napi_env env, bool v);
napi_value js_undefined(napi_env env);
napi_value js_null(napi_env env);
// A Buffer holding a copy of the bytes.
napi_value js_bytes_copy(napi_env env, const void *data, size_t length);
void js_set_number(napi_env env, napi_value object, const char *key, int64_t v);
void js_set_string(napi_env env, napi_value object, const char *key, const char *v);

// Handles are externals tagged with their kind, so one kind (or another addon's external)
// is never taken for another.
napi_value js_external_new(napi_env env, void *data, napi_finalize finalize, const napi_type_tag *tag);
// The handle's pointer, or NULL when `v` is not an external of this kind.
void *js_external(napi_env env, napi_value v, const napi_type_tag *tag);
