// AF_XDP over libxdp's xsk API: UMEM, sockets, and the four rings, moved in batches. Thin:
// descriptors go in and out through typed arrays the caller owns ([addr, len] pairs), the
// UMEM is handed to JavaScript as one external ArrayBuffer, and all policy (frame
// allocation, modes, fallbacks, errors in words) lives in runtime/xsk/.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <node_api.h>
#include <xdp/xsk.h>

#include "xsk.h"

typedef struct {
  struct xsk_umem *umem;
  struct xsk_ring_prod fill;
  struct xsk_ring_cons comp;
  void *area;
  size_t size;
  int sockets;
} umem_handle;

typedef struct {
  struct xsk_socket *xsk;
  struct xsk_ring_cons rx;
  struct xsk_ring_prod tx;
  umem_handle *umem;
} socket_handle;

static napi_value fail(napi_env env, const char *what, int err) {
  if (err < 0) err = -err;
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_value msg, error, code;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &code);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return NULL;
}

static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "EINVAL", message);
  return NULL;
}

static bool args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, "EINVAL", "missing arguments");
    return false;
  }
  return true;
}

static bool int_arg(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_number && napi_get_value_int64(env, v, out) == napi_ok;
}

static bool u32_array(napi_env env, napi_value v, uint32_t **data, size_t *length) {
  bool is;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  if (napi_get_typedarray_info(env, v, &type, length, (void **)data, &buffer, &offset) != napi_ok) return false;
  return type == napi_uint32_array;
}

static napi_value number(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static void *external(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

// umemCreate(frames, frameSize, fillSize, compSize, headroom): { handle, buffer | undefined }
static napi_value umem_create(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, 5, argv)) return NULL;
  int64_t frames, frame_size, fill_size, comp_size, headroom;
  if (!int_arg(env, argv[0], &frames) || !int_arg(env, argv[1], &frame_size) || !int_arg(env, argv[2], &fill_size) || !int_arg(env, argv[3], &comp_size) || !int_arg(env, argv[4], &headroom) ||
      frames <= 0 || frames > (1 << 22) || frame_size < 2048 || frame_size > 65536 || (frame_size & (frame_size - 1)) || fill_size <= 0 || comp_size <= 0)
    return type_error(env, "umemCreate(frames, frameSize (a power of two, 2048…65536), fillSize, compSize, headroom)");
  umem_handle *h = calloc(1, sizeof *h);
  h->size = (size_t)frames * frame_size;
  h->area = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h->area == MAP_FAILED) {
    free(h);
    return fail(env, "mmap UMEM", errno);
  }
  struct xsk_umem_config cfg = {.fill_size = fill_size, .comp_size = comp_size, .frame_size = frame_size, .frame_headroom = headroom, .flags = 0};
  int err = xsk_umem__create(&h->umem, h->area, h->size, &h->fill, &h->comp, &cfg);
  if (err) {
    munmap(h->area, h->size);
    free(h);
    return fail(env, "xsk_umem__create", err);
  }
  napi_value result, handle, buffer;
  napi_create_object(env, &result);
  napi_create_external(env, h, NULL, NULL, &handle);
  napi_set_named_property(env, result, "handle", handle);
  // Zero-copy view of the UMEM; runtimes with the V8 sandbox refuse external buffers, and
  // JavaScript then falls back to umemRead/umemWrite.
  if (napi_create_external_arraybuffer(env, h->area, h->size, NULL, NULL, &buffer) == napi_ok) {
    napi_set_named_property(env, result, "buffer", buffer);
  } else {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
  return result;
}

// umemRead(umem, addr, len): Buffer (copying fallback)
static napi_value umem_read(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  umem_handle *h = external(env, argv[0]);
  int64_t addr, len;
  if (!h || !h->area || !int_arg(env, argv[1], &addr) || !int_arg(env, argv[2], &len) || addr < 0 || len < 0 || (size_t)(addr + len) > h->size) return type_error(env, "umemRead(umem, addr, len) out of range");
  napi_value out;
  void *dest;
  napi_create_buffer_copy(env, len, (char *)h->area + addr, &dest, &out);
  return out;
}

// umemWrite(umem, addr, bytes: Uint8Array): void (copying fallback)
static napi_value umem_write(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  umem_handle *h = external(env, argv[0]);
  int64_t addr;
  void *data;
  size_t len;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  bool is;
  if (!h || !h->area || !int_arg(env, argv[1], &addr) || napi_is_typedarray(env, argv[2], &is) != napi_ok || !is) return type_error(env, "umemWrite(umem, addr, bytes)");
  napi_get_typedarray_info(env, argv[2], &type, &len, &data, &ab, &off);
  if (addr < 0 || (size_t)addr + len > h->size) return type_error(env, "umemWrite: out of range");
  memcpy((char *)h->area + addr, data, len);
  return NULL;
}

// socketCreate(umem, ifname, queue, rxSize, txSize, bindFlags): socket
static napi_value socket_create(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args(env, info, 6, argv)) return NULL;
  umem_handle *u = external(env, argv[0]);
  char ifname[64];
  size_t len;
  int64_t queue, rx_size, tx_size, bind_flags;
  if (!u || !u->umem || napi_get_value_string_utf8(env, argv[1], ifname, sizeof ifname, &len) != napi_ok || !int_arg(env, argv[2], &queue) || !int_arg(env, argv[3], &rx_size) || !int_arg(env, argv[4], &tx_size) || !int_arg(env, argv[5], &bind_flags) || queue < 0)
    return type_error(env, "socketCreate(umem, ifname, queue, rxSize, txSize, bindFlags)");
  socket_handle *s = calloc(1, sizeof *s);
  struct xsk_socket_config cfg = {.rx_size = rx_size, .tx_size = tx_size, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, .xdp_flags = 0, .bind_flags = bind_flags};
  int err = u->sockets == 0
      ? xsk_socket__create(&s->xsk, ifname, queue, u->umem, &s->rx, &s->tx, &cfg)
      : xsk_socket__create_shared(&s->xsk, ifname, queue, u->umem, &s->rx, &s->tx, &u->fill, &u->comp, &cfg);
  if (err) {
    free(s);
    return fail(env, "xsk_socket__create", err);
  }
  s->umem = u;
  u->sockets++;
  napi_value out;
  napi_create_external(env, s, NULL, NULL, &out);
  return out;
}

// socketFd(socket): fd
static napi_value socket_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  if (!s || !s->xsk) return type_error(env, "socketFd(socket): closed socket");
  return number(env, xsk_socket__fd(s->xsk));
}

// fillSubmit(umem, addrs: Uint32Array, count): number submitted
static napi_value fill_submit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  umem_handle *u = external(env, argv[0]);
  uint32_t *addrs;
  size_t length;
  int64_t count;
  if (!u || !u->umem || !u32_array(env, argv[1], &addrs, &length) || !int_arg(env, argv[2], &count) || count < 0 || (size_t)count > length) return type_error(env, "fillSubmit(umem, addrs, count)");
  __u32 idx;
  __u32 n = xsk_ring_prod__reserve(&u->fill, count, &idx);
  for (__u32 i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&u->fill, idx + i) = addrs[i];
  xsk_ring_prod__submit(&u->fill, n);
  return number(env, n);
}

// completionReap(umem, out: Uint32Array, max): number of completed frame addresses
static napi_value completion_reap(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  umem_handle *u = external(env, argv[0]);
  uint32_t *out;
  size_t length;
  int64_t max;
  if (!u || !u->umem || !u32_array(env, argv[1], &out, &length) || !int_arg(env, argv[2], &max) || max < 0 || (size_t)max > length) return type_error(env, "completionReap(umem, out, max)");
  __u32 idx;
  __u32 n = xsk_ring_cons__peek(&u->comp, max, &idx);
  for (__u32 i = 0; i < n; i++) out[i] = (uint32_t)*xsk_ring_cons__comp_addr(&u->comp, idx + i);
  xsk_ring_cons__release(&u->comp, n);
  return number(env, n);
}

// rxBatch(socket, out: Uint32Array [addr, len]*, max): number of frames received
static napi_value rx_batch(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  uint32_t *out;
  size_t length;
  int64_t max;
  if (!s || !s->xsk || !u32_array(env, argv[1], &out, &length) || !int_arg(env, argv[2], &max) || max < 0 || (size_t)max * 2 > length) return type_error(env, "rxBatch(socket, out, max)");
  __u32 idx;
  __u32 n = xsk_ring_cons__peek(&s->rx, max, &idx);
  for (__u32 i = 0; i < n; i++) {
    const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);
    out[2 * i] = (uint32_t)d->addr;
    out[2 * i + 1] = d->len;
  }
  xsk_ring_cons__release(&s->rx, n);
  return number(env, n);
}

// txSubmit(socket, descs: Uint32Array [addr, len]*, count): number queued (kicks the kernel)
static napi_value tx_submit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  uint32_t *descs;
  size_t length;
  int64_t count;
  if (!s || !s->xsk || !u32_array(env, argv[1], &descs, &length) || !int_arg(env, argv[2], &count) || count < 0 || (size_t)count * 2 > length) return type_error(env, "txSubmit(socket, descs, count)");
  __u32 idx;
  __u32 n = xsk_ring_prod__reserve(&s->tx, count, &idx);
  for (__u32 i = 0; i < n; i++) {
    struct xdp_desc *d = xsk_ring_prod__tx_desc(&s->tx, idx + i);
    d->addr = descs[2 * i];
    d->len = descs[2 * i + 1];
    d->options = 0;
  }
  xsk_ring_prod__submit(&s->tx, n);
  // Copy mode transmits only from sendto(): kick after every submit.
  if (n) {
    if (sendto(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
      return fail(env, "sendto (TX kick)", errno);
  }
  return number(env, n);
}

// fillNeedsWakeup(socket): boolean — then a recvfrom/poll makes the kernel refill
static napi_value wakeup_rx(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  if (!s || !s->xsk) return type_error(env, "wakeupRx(socket)");
  if (xsk_ring_prod__needs_wakeup(&s->umem->fill)) recvfrom(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
  return NULL;
}

// stats(socket): { rxDropped, rxInvalidDescs, txInvalidDescs, rxRingFull, rxFillRingEmpty, txRingEmpty }
static napi_value socket_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  if (!s || !s->xsk) return type_error(env, "stats(socket): closed socket");
  struct xdp_statistics st = {0};
  socklen_t len = sizeof st;
  if (getsockopt(xsk_socket__fd(s->xsk), SOL_XDP, XDP_STATISTICS, &st, &len)) return fail(env, "getsockopt(XDP_STATISTICS)", errno);
  napi_value r;
  napi_create_object(env, &r);
  napi_set_named_property(env, r, "rxDropped", number(env, st.rx_dropped));
  napi_set_named_property(env, r, "rxInvalidDescs", number(env, st.rx_invalid_descs));
  napi_set_named_property(env, r, "txInvalidDescs", number(env, st.tx_invalid_descs));
  napi_set_named_property(env, r, "rxRingFull", number(env, st.rx_ring_full));
  napi_set_named_property(env, r, "rxFillRingEmpty", number(env, st.rx_fill_ring_empty_descs));
  napi_set_named_property(env, r, "txRingEmpty", number(env, st.tx_ring_empty_descs));
  return r;
}

// ---- waiting for frames without blocking the event loop ---------------------------------
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int timeout_ms;
  int ready;
} wait_job;

static void wait_execute(napi_env env, void *data) {
  (void)env;
  wait_job *job = data;
  struct pollfd p = {.fd = job->fd, .events = POLLIN};
  job->ready = poll(&p, 1, job->timeout_ms) > 0;
}

static void wait_complete(napi_env env, napi_status status, void *data) {
  wait_job *job = data;
  napi_value value;
  napi_get_boolean(env, status == napi_ok && job->ready, &value);
  napi_resolve_deferred(env, job->deferred, value);
  napi_delete_async_work(env, job->work);
  free(job);
}

// waitReadable(socket, timeoutMs): Promise<boolean> — poll() on a libuv worker thread
static napi_value wait_readable(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  int64_t timeout;
  if (!s || !s->xsk || !int_arg(env, argv[1], &timeout) || timeout < 0 || timeout > 60000) return type_error(env, "waitReadable(socket, timeoutMs 0…60000)");
  wait_job *job = calloc(1, sizeof *job);
  job->fd = xsk_socket__fd(s->xsk);
  job->timeout_ms = timeout;
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "tsxdp.xsk.wait", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, wait_execute, wait_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

// socketDelete(socket), umemDelete(umem): idempotent
static napi_value socket_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  socket_handle *s = external(env, argv[0]);
  if (s && s->xsk) {
    xsk_socket__delete(s->xsk);
    s->xsk = NULL;
    s->umem->sockets--;
  }
  return NULL;
}

static napi_value umem_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv)) return NULL;
  umem_handle *u = external(env, argv[0]);
  if (u && u->umem) {
    if (u->sockets > 0) return fail(env, "xsk_umem__delete: sockets still use this UMEM", EBUSY);
    xsk_umem__delete(u->umem);
    u->umem = NULL;
    // The mapping stays until process exit when JavaScript may still hold views of it:
    // unmapping under a live ArrayBuffer would turn a stale view into a crash.
  }
  return NULL;
}

// mapCreate(type, keySize, valueSize, maxEntries, name): fd
static napi_value map_create(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args(env, info, 5, argv)) return NULL;
  int64_t type, key, value, max;
  char name[16];
  size_t len;
  if (!int_arg(env, argv[0], &type) || !int_arg(env, argv[1], &key) || !int_arg(env, argv[2], &value) || !int_arg(env, argv[3], &max) || napi_get_value_string_utf8(env, argv[4], name, sizeof name, &len) != napi_ok)
    return type_error(env, "mapCreate(type, keySize, valueSize, maxEntries, name)");
  int fd = bpf_map_create(type, name, key, value, max, NULL);
  if (fd < 0) return fail(env, "bpf_map_create", errno);
  return number(env, fd);
}

// progLoadRaw(type, insns: Uint8Array, license, name): fd
static napi_value prog_load_raw(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, argv)) return NULL;
  int64_t type;
  void *insns;
  size_t len, slen;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  bool is;
  char license[32], name[16];
  if (!int_arg(env, argv[0], &type) || napi_is_typedarray(env, argv[1], &is) != napi_ok || !is || napi_get_value_string_utf8(env, argv[2], license, sizeof license, &slen) != napi_ok || napi_get_value_string_utf8(env, argv[3], name, sizeof name, &slen) != napi_ok)
    return type_error(env, "progLoadRaw(type, insns, license, name)");
  napi_get_typedarray_info(env, argv[1], &t, &len, &insns, &ab, &off);
  if (t != napi_uint8_array || len % 8 || len == 0) return type_error(env, "progLoadRaw: instructions must be a Uint8Array of 8-byte instructions");
  static char log[16384];
  log[0] = 0;
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof log, .log_level = 0);
  int fd = bpf_prog_load(type, name, license, insns, len / 8, &opts);
  if (fd < 0) return fail(env, log[0] ? log : "bpf_prog_load", errno);
  return number(env, fd);
}

void tsxdp_xsk_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
      FN("umemCreate", umem_create), FN("umemRead", umem_read), FN("umemWrite", umem_write), FN("umemDelete", umem_delete),
      FN("socketCreate", socket_create), FN("socketFd", socket_fd), FN("socketDelete", socket_delete), FN("socketStats", socket_stats),
      FN("fillSubmit", fill_submit), FN("completionReap", completion_reap), FN("rxBatch", rx_batch), FN("txSubmit", tx_submit),
      FN("wakeupRx", wakeup_rx), FN("waitReadable", wait_readable), FN("mapCreate", map_create), FN("progLoadRaw", prog_load_raw),
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
