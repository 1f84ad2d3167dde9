// BPF ring buffers (libbpf's ring_buffer): records consumed in batches into an array of
// copies, and a wait on the event loop for the next record (the ring's epoll fd, watched by
// libuv: wait.c), so an idle reader costs nothing and a record wakes it at once.
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include <bpf/libbpf.h>
#include <node_api.h>

#include "addon.h"
#include "js.h"
#include "libbpf_log.h"
#include "wait.h"

typedef struct {
  struct ring_buffer *rb;  // NULL once freed
  fd_wait *wait;           // made on first ringWait
  // The consume round in progress (ring_sample appends to it).
  napi_env env;
  napi_value records;
  uint32_t count;
  uint32_t limit;
} ring_handle;

static const napi_type_tag ring_tag = {0x7473786470726e67ULL, 0x6268616e646c6531ULL};

static int ring_sample(void *ctx, void *data, size_t size) {
  ring_handle *h = ctx;
  napi_set_element(h->env, h->records, h->count++, js_bytes_copy(h->env, data, size));
  // A positive return stops this consume round: the batch is full.
  return h->count >= h->limit ? 1 : 0;
}

static void ring_close(ring_handle *h) {
  if (h->wait) fd_wait_close(h->wait);  // before the epoll fd goes
  if (h->rb) ring_buffer__free(h->rb);
  h->rb = NULL;
}

static void ring_finalize(napi_env env, void *data, void *hint) {
  ring_handle *h = data;
  ring_close(h);
  free(h);
}

static ring_handle *open_ring(napi_env env, napi_value v) {
  ring_handle *h = js_external(env, v, &ring_tag);
  return h && h->rb ? h : NULL;
}

// ringNew(mapFd): handle
static napi_value ring_new(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  int64_t fd;
  if (!js_int(env, argv[0], &fd)) return js_type_error(env, "ringNew(mapFd)");
  ring_handle *h = calloc(1, sizeof *h);
  if (!h) return js_fail(env, "ringNew", ENOMEM);
  h->rb = ring_buffer__new(fd, ring_sample, h, NULL);
  if (!h->rb) {
    int saved = errno;
    free(h);
    return libbpf_fail(env, "ring_buffer__new", saved);
  }
  napi_value out = js_external_new(env, h, ring_finalize, &ring_tag);
  if (!out) {
    ring_finalize(env, h, NULL);
    return js_fail(env, "ringNew", ENOMEM);
  }
  return out;
}

// ringConsume(handle, limit): Uint8Array[] — the records available now (at most limit)
static napi_value ring_consume(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  ring_handle *h = open_ring(env, argv[0]);
  int64_t limit;
  if (!h || !js_int(env, argv[1], &limit) || limit <= 0 || limit > UINT32_MAX) return js_type_error(env, "ringConsume(handle, limit)");
  h->env = env;
  napi_create_array(env, &h->records);
  h->count = 0;
  h->limit = (uint32_t)limit;
  int err = ring_buffer__consume(h->rb);
  if (err < 0 && err != -EINTR) return libbpf_fail(env, "ring_buffer__consume", err);
  return h->records;
}

// ringWait(handle, timeoutMs): Promise<number> — 1 when a record may be there, 0 on timeout
// or when the ring is freed meanwhile (see wait.h)
static napi_value ring_wait(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  ring_handle *h = open_ring(env, argv[0]);
  int64_t timeout;
  if (!h || !js_int(env, argv[1], &timeout) || timeout < 0 || timeout > 60000) return js_type_error(env, "ringWait(handle, timeoutMs 0…60000)");
  if (h->wait && fd_wait_env(h->wait) != env) return js_fail(env, "wait on a ring buffer opened by another thread", EINVAL);
  if (!h->wait && !fd_wait_new(env, ring_buffer__epoll_fd(h->rb), NULL, h, &h->wait, "tsxdp.ringbuf.wait")) return js_fail(env, "wait on the ring buffer (no event loop handles)", EINVAL);
  napi_value promise = fd_wait_start(h->wait, (int)timeout, 0);
  return promise ? promise : js_fail(env, "napi_create_promise", ENOMEM);
}

// ringFree(handle): void — idempotent; a pending ringWait ends (0)
static napi_value ring_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  ring_handle *h = js_external(env, argv[0], &ring_tag);
  if (h) ring_close(h);
  return js_undefined(env);
}

void tsxdp_ringbuf_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("ringNew", ring_new), JS_FUNCTION("ringConsume", ring_consume), JS_FUNCTION("ringWait", ring_wait), JS_FUNCTION("ringFree", ring_free),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
