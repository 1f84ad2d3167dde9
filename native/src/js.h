// Argument and result helpers shared by the addon's files: JavaScript errors carrying an
// errno, and checked reads of numbers and byte arrays. (bpf.c keeps its own throw_errno,
// which also attaches libbpf's log.)
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

// Throws an Error "WHAT: strerror(err)" with `errno` set; returns NULL for `return js_fail(…)`.
napi_value js_fail(napi_env env, const char *what, int err);
// Throws a TypeError with code EINVAL; returns NULL.
napi_value js_type_error(napi_env env, const char *message);
// Reads `n` arguments into argv; throws (and returns false) when fewer were passed.
bool js_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);
bool js_int(napi_env env, napi_value v, int64_t *out);
// A Uint8Array's bytes (false for anything else).
bool js_bytes(napi_env env, napi_value v, void **data, size_t *length);
// A Uint32Array's elements (false for anything else).
bool js_u32_array(napi_env env, napi_value v, uint32_t **data, size_t *length);
bool js_is_null(napi_env env, napi_value v);
napi_value js_number(napi_env env, int64_t v);
napi_value js_boolean(napi_env env, bool v);
napi_value js_undefined(napi_env env);
