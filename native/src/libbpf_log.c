// See libbpf_log.h. We keep the last LOG_CAPACITY bytes. Per thread: each worker_threads
// Worker loads programs on its own thread, and libbpf calls back on it.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "js.h"
#include "libbpf_log.h"

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

void libbpf_log_init(napi_env env) {
  libbpf_set_print(capture_print);
  napi_add_env_cleanup_hook(env, free_log, NULL);
}

void libbpf_log_clear(void) {
  log_length = 0;
}

napi_value libbpf_fail(napi_env env, const char *what, int err) {
  js_fail(env, what, err);
  napi_value error, log;
  if (napi_get_and_clear_last_exception(env, &error) != napi_ok) return NULL;
  napi_create_string_utf8(env, log_buffer ? log_buffer : "", log_length, &log);
  napi_set_named_property(env, error, "libbpfLog", log);
  napi_throw(env, error);
  return NULL;
}
