// libbpf's log (warnings and the verifier's output), captured per thread so that a failed
// open or load can carry it to JavaScript as `libbpfLog`.
#pragma once
#include <node_api.h>

// Routes libbpf's printing here and frees this thread's log when the environment ends.
void libbpf_log_init(napi_env env);
// Forgets what earlier calls logged: call before the operation whose log matters.
void libbpf_log_clear(void);
// js_fail, with the captured log attached as the error's `libbpfLog`.
napi_value libbpf_fail(napi_env env, const char *what, int err);
