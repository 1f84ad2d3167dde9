// AF_XDP over libxdp's xsk API: UMEM, sockets, and the four rings, moved in batches. Thin:
// descriptors go in and out through typed arrays the caller owns ([addr, len] pairs), the
// UMEM is handed to JavaScript as one external ArrayBuffer, and all policy (frame
// allocation, modes, fallbacks, errors in words) lives in runtime/xsk/.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <node_api.h>
#include <uv.h>
#include <xdp/xsk.h>

#include "js.h"
#include "xsk.h"

// A UMEM's memory has three owners: the JavaScript handle, each socket bound on it, and the
// external ArrayBuffer that shows it to JavaScript. Whichever goes last frees it, so neither
// an explicit close nor the garbage collector (in any order) leaves a mapping behind or
// frees one that is still visible.
typedef struct ring_pair ring_pair;
struct ring_pair {
  // libxdp needs one fill and one completion ring per (interface, queue) a UMEM serves;
  // sockets bound to the same (interface, queue) share them, as the kernel does.
  ring_pair *next;
  char ifname[64];
  uint32_t queue;
  int users;
  struct xsk_ring_prod *fill;  // own_fill, or the UMEM's first rings (see socket_create)
  struct xsk_ring_cons *comp;
  struct xsk_ring_prod own_fill;
  struct xsk_ring_cons own_comp;
};

typedef struct {
  struct xsk_umem *umem;
  // Rings xsk_umem__create maps; libxdp copies them into the first socket's ring_pair.
  struct xsk_ring_prod first_fill;
  struct xsk_ring_cons first_comp;
  bool first_rings_taken;
  ring_pair *rings;
  void *area;
  size_t size;
  uint32_t frames;
  uint32_t frame_shift;  // log2(frame size)
  int sockets;
  int owners;           // JS handle + live sockets + a live ArrayBuffer
  bool buffer_live;     // the ArrayBuffer has not been finalized
  napi_ref buffer_ref;  // weak: to detach the ArrayBuffer when the UMEM closes
} umem_handle;

typedef struct rx_wait rx_wait;

typedef struct {
  struct xsk_socket *xsk;
  rx_wait *wait;  // the event-loop wait (waitReadable), made on first use
  struct xsk_ring_cons rx;
  struct xsk_ring_prod tx;
  ring_pair *rings;
  umem_handle *umem;
  bool need_wakeup;
  uint64_t kicks;
} socket_handle;

static void umem_unmap_if_unseen(umem_handle *h) {
  // Unmapping under a live ArrayBuffer would turn a stale view into a crash: only once it
  // is detached (umemDelete) or collected, and the kernel has let go of the UMEM.
  if (h->area && !h->umem && !h->buffer_live) {
    munmap(h->area, h->size);
    h->area = NULL;
  }
}

static void umem_release(umem_handle *h) {
  if (--h->owners > 0) return;
  if (h->umem) xsk_umem__delete(h->umem);
  h->umem = NULL;
  umem_unmap_if_unseen(h);
  free(h);
}

static void umem_handle_finalize(napi_env env, void *data, void *hint) {
  umem_handle *h = data;
  if (h->buffer_ref) {
    napi_delete_reference(env, h->buffer_ref);
    h->buffer_ref = NULL;
  }
  umem_release(h);
}

static void umem_buffer_finalize(napi_env env, void *data, void *hint) {
  umem_handle *h = hint;
  h->buffer_live = false;
  umem_unmap_if_unseen(h);
  umem_release(h);
}







// Externals of other kinds (another addon's, a socket passed as a UMEM) must not be taken
// for ours: each handle is tagged.
static const napi_type_tag umem_tag = {0x7473786470756d65ULL, 0x6d68616e646c6531ULL};
static const napi_type_tag socket_tag = {0x7473786470736f63ULL, 0x6b68616e646c6531ULL};

static void *external(napi_env env, napi_value v, const napi_type_tag *tag) {
  void *p = NULL;
  napi_valuetype t;
  bool ok = false;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, tag, &ok) != napi_ok || !ok) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

// umemCreate(frames, frameSize, fillSize, compSize, headroom, external): { handle, buffer | undefined }
static napi_value umem_create(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  int64_t frames, frame_size, fill_size, comp_size, headroom;
  bool want_buffer = false;
  if (!js_int(env, argv[0], &frames) || !js_int(env, argv[1], &frame_size) || !js_int(env, argv[2], &fill_size) || !js_int(env, argv[3], &comp_size) || !js_int(env, argv[4], &headroom) ||
      napi_get_value_bool(env, argv[5], &want_buffer) != napi_ok ||
      frames <= 0 || frames > (1 << 22) || frame_size < 2048 || frame_size > 65536 || (frame_size & (frame_size - 1)) || fill_size <= 0 || fill_size > (1 << 20) || comp_size <= 0 || comp_size > (1 << 20) || headroom < 0 || headroom >= frame_size)
    return js_type_error(env, "umemCreate(frames, frameSize (a power of two, 2048…65536), fillSize, compSize, headroom, external)");
  umem_handle *h = calloc(1, sizeof *h);
  if (!h) return js_fail(env, "allocate a UMEM handle", ENOMEM);
  h->size = (size_t)frames * frame_size;
  h->frames = (uint32_t)frames;
  h->frame_shift = (uint32_t)__builtin_ctzll((unsigned long long)frame_size);
  h->area = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h->area == MAP_FAILED) {
    free(h);
    return js_fail(env, "mmap UMEM", errno);
  }
  struct xsk_umem_config cfg = {.fill_size = fill_size, .comp_size = comp_size, .frame_size = frame_size, .frame_headroom = headroom, .flags = 0};
  int err = xsk_umem__create(&h->umem, h->area, h->size, &h->first_fill, &h->first_comp, &cfg);
  if (err) {
    munmap(h->area, h->size);
    free(h);
    return js_fail(env, "xsk_umem__create", err);
  }
  napi_value result, handle, buffer;
  napi_create_object(env, &result);
  if (napi_create_external(env, h, umem_handle_finalize, NULL, &handle) != napi_ok) {
    h->owners = 1;
    umem_release(h);
    return js_fail(env, "napi_create_external", ENOMEM);
  }
  h->owners = 1;
  napi_type_tag_object(env, handle, &umem_tag);
  napi_set_named_property(env, result, "handle", handle);
  // Zero-copy view of the UMEM; runtimes with the V8 sandbox refuse external buffers, and
  // JavaScript then falls back to umemRead/umemWrite (also when asked to, for testing it).
  if (want_buffer && napi_create_external_arraybuffer(env, h->area, h->size, umem_buffer_finalize, h, &buffer) == napi_ok) {
    h->owners++;
    h->buffer_live = true;
    napi_create_reference(env, buffer, 0, &h->buffer_ref);
    napi_set_named_property(env, result, "buffer", buffer);
  } else {
    napi_value ignored;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) napi_get_and_clear_last_exception(env, &ignored);
  }
  return result;
}

// umemRead(umem, addr, len): Buffer (copying fallback)
static napi_value umem_read(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  umem_handle *h = external(env, argv[0], &umem_tag);
  int64_t addr, len;
  if (!h || !h->umem || !h->area || !js_int(env, argv[1], &addr) || !js_int(env, argv[2], &len) || addr < 0 || len < 0 || (uint64_t)addr > h->size || (uint64_t)len > h->size - (uint64_t)addr) return js_type_error(env, "umemRead(umem, addr, len): closed UMEM or out of range");
  napi_value out;
  void *dest;
  napi_create_buffer_copy(env, len, (char *)h->area + addr, &dest, &out);
  return out;
}

// umemWrite(umem, addr, bytes: Uint8Array): void (copying fallback)
static napi_value umem_write(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  umem_handle *h = external(env, argv[0], &umem_tag);
  int64_t addr;
  void *data;
  size_t len;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  bool is;
  if (!h || !h->umem || !h->area || !js_int(env, argv[1], &addr) || napi_is_typedarray(env, argv[2], &is) != napi_ok || !is) return js_type_error(env, "umemWrite(umem, addr, bytes): closed UMEM or not bytes");
  napi_get_typedarray_info(env, argv[2], &type, &len, &data, &ab, &off);
  if (type != napi_uint8_array) return js_type_error(env, "umemWrite: bytes must be a Uint8Array");
  if (addr < 0 || (uint64_t)addr > h->size || len > h->size - (uint64_t)addr) return js_type_error(env, "umemWrite: out of range");
  memcpy((char *)h->area + addr, data, len);
  return NULL;
}

static void socket_finalize(napi_env env, void *data, void *hint);

// socketCreate(umem, ifname, queue, rxSize, txSize, bindFlags): socket
static napi_value socket_create(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  umem_handle *u = external(env, argv[0], &umem_tag);
  char ifname[64];
  size_t len;
  int64_t queue, rx_size, tx_size, bind_flags;
  if (!u || !u->umem || napi_get_value_string_utf8(env, argv[1], ifname, sizeof ifname, &len) != napi_ok || len == 0 || len >= 16 || !js_int(env, argv[2], &queue) || !js_int(env, argv[3], &rx_size) || !js_int(env, argv[4], &tx_size) ||
      !js_int(env, argv[5], &bind_flags) || queue < 0 || queue > UINT32_MAX || rx_size <= 0 || rx_size > (1 << 20) || tx_size <= 0 || tx_size > (1 << 20) || bind_flags < 0 || bind_flags > 0xffff)
    return js_type_error(env, "socketCreate(umem, ifname, queue, rxSize, txSize, bindFlags)");
  ring_pair *pair = u->rings;
  while (pair && (pair->queue != queue || strcmp(pair->ifname, ifname) != 0)) pair = pair->next;
  bool new_pair = !pair;
  if (new_pair) {
    pair = calloc(1, sizeof *pair);
    if (!pair) return js_fail(env, "allocate rings", ENOMEM);
    memcpy(pair->ifname, ifname, len + 1);
    pair->queue = queue;
    // The first pair must be the rings xsk_umem__create mapped, by address: handed other
    // structs, libxdp copies them, and unmaps the originals if that bind fails (a "zerocopy"
    // attempt before "copy"), leaving the retry with dangling rings.
    pair->fill = u->first_rings_taken ? &pair->own_fill : &u->first_fill;
    pair->comp = u->first_rings_taken ? &pair->own_comp : &u->first_comp;
  }
  socket_handle *s = calloc(1, sizeof *s);
  if (!s) {
    if (new_pair) free(pair);
    return js_fail(env, "allocate a socket handle", ENOMEM);
  }
  struct xsk_socket_config cfg = {.rx_size = rx_size, .tx_size = tx_size, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, .xdp_flags = 0, .bind_flags = bind_flags};
  // Always the _shared form with this pair's rings: libxdp reuses them for a known
  // (interface, queue) and maps new ones on the socket otherwise.
  int err = xsk_socket__create_shared(&s->xsk, ifname, queue, u->umem, &s->rx, &s->tx, pair->fill, pair->comp, &cfg);
  if (err) {
    free(s);
    if (new_pair) free(pair);
    return js_fail(env, "xsk_socket__create", err);
  }
  if (new_pair) {
    pair->next = u->rings;
    u->rings = pair;
  }
  u->first_rings_taken = true;
  pair->users++;
  s->rings = pair;
  s->umem = u;
  s->need_wakeup = (bind_flags & XDP_USE_NEED_WAKEUP) != 0;
  u->sockets++;
  u->owners++;
  napi_value out;
  if (napi_create_external(env, s, socket_finalize, NULL, &out) != napi_ok) {
    socket_finalize(env, s, NULL);
    return js_fail(env, "napi_create_external", ENOMEM);
  }
  napi_type_tag_object(env, out, &socket_tag);
  return out;
}

static void rx_wait_close(rx_wait *w);

static void socket_close(socket_handle *s) {
  if (!s->xsk) return;
  // The loop must stop polling the fd before it closes.
  if (s->wait) rx_wait_close(s->wait);
  s->wait = NULL;
  xsk_socket__delete(s->xsk);
  s->xsk = NULL;
  umem_handle *u = s->umem;
  if (--s->rings->users == 0) {
    // libxdp unmapped this pair's rings with the last socket on it.
    ring_pair **p = &u->rings;
    while (*p != s->rings) p = &(*p)->next;
    *p = s->rings->next;
    free(s->rings);
  }
  s->rings = NULL;
  u->sockets--;
}

static void socket_finalize(napi_env env, void *data, void *hint) {
  socket_handle *s = data;
  socket_close(s);
  umem_release(s->umem);
  free(s);
}

static socket_handle *open_socket(napi_env env, napi_value v) {
  socket_handle *s = external(env, v, &socket_tag);
  return s && s->xsk ? s : NULL;
}

// socketFd(socket): fd
static napi_value socket_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  if (!s) return js_type_error(env, "socketFd(socket): closed socket");
  return js_number(env, xsk_socket__fd(s->xsk));
}

// socketSetOption(socket, level, name, value: int): void — busy polling and the like
static napi_value socket_set_option(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  int64_t level, name, value;
  if (!s || !js_int(env, argv[1], &level) || !js_int(env, argv[2], &name) || !js_int(env, argv[3], &value) || level < 0 || level > 0xffff || name < 0 || name > 0xffff || value < INT32_MIN || value > INT32_MAX)
    return js_type_error(env, "socketSetOption(socket, level, name, value)");
  int v = (int)value;
  if (setsockopt(xsk_socket__fd(s->xsk), (int)level, (int)name, &v, sizeof v)) return js_fail(env, "setsockopt", errno);
  return NULL;
}

static __u32 fill(socket_handle *s, const uint32_t *addrs, __u32 count) {
  __u32 idx = 0; // set by the ring call when it returns > 0
  __u32 n = xsk_ring_prod__reserve(s->rings->fill, count, &idx);
  for (__u32 i = 0; i < n; i++) *xsk_ring_prod__fill_addr(s->rings->fill, idx + i) = addrs[i];
  xsk_ring_prod__submit(s->rings->fill, n);
  return n;
}

// fillSubmit(socket, addrs: Uint32Array, count): number submitted (to the socket's fill ring)
static napi_value fill_submit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  uint32_t *addrs;
  size_t length;
  int64_t count;
  if (!s || !js_u32_array(env, argv[1], &addrs, &length) || !js_int(env, argv[2], &count) || count < 0 || (size_t)count > length) return js_type_error(env, "fillSubmit(socket, addrs, count)");
  return js_number(env, fill(s, addrs, count));
}

// Copy mode transmits from sendto() only, and at most a small budget per call: frames stay
// on the TX ring until the next kick. A socket bound with need_wakeup is kicked only when
// the kernel asks; without it, whenever there is something to send.
static napi_value kick_tx(napi_env env, socket_handle *s) {
  if (s->need_wakeup && !xsk_ring_prod__needs_wakeup(&s->tx)) return NULL;
  s->kicks++;
  if (sendto(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN)
    return js_fail(env, "sendto (TX kick)", errno);
  return NULL;
}

// completionReap(socket, out: Uint32Array, max, kick): number of completed frame addresses
// (kick: frames are in flight, so the kernel may need a sendto to go on sending them)
static napi_value completion_reap(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  uint32_t *out;
  size_t length;
  int64_t max;
  bool kick = false;
  if (!s || !js_u32_array(env, argv[1], &out, &length) || !js_int(env, argv[2], &max) || max < 0 || (size_t)max > length || napi_get_value_bool(env, argv[3], &kick) != napi_ok) return js_type_error(env, "completionReap(socket, out, max, kick)");
  if (kick) {
    kick_tx(env, s);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  }
  __u32 idx = 0; // set by the ring call when it returns > 0
  __u32 n = xsk_ring_cons__peek(s->rings->comp, max, &idx);
  for (__u32 i = 0; i < n; i++) out[i] = (uint32_t)*xsk_ring_cons__comp_addr(s->rings->comp, idx + i);
  xsk_ring_cons__release(s->rings->comp, n);
  return js_number(env, n);
}


// A frame found where the accounting says it cannot be: nothing has moved; JavaScript names
// the places (runtime/xsk/frames.ts).
static napi_value frame_violation(napi_env env, uint32_t frame, int found, int expected) {
  napi_value msg, error, v;
  napi_create_string_utf8(env, "UMEM frame accounting violated: a frame was lost or used twice", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_uint32(env, frame, &v);
  napi_set_named_property(env, error, "frame", v);
  napi_create_int32(env, found, &v);
  napi_set_named_property(env, error, "found", v);
  napi_create_int32(env, expected, &v);
  napi_set_named_property(env, error, "expected", v);
  napi_throw(env, error);
  return NULL;
}

#define RX_VIEW_MISS 0x80000000u

// rxBatch(socket, owners: Uint8Array, fillPlace, receivedPlace, frames: Uint32Array,
//         releaseCount, descs: Uint32Array [addr, len]*, viewKeys: Uint32Array, max):
// received + 65536 × released — one call per batch. First the previous batch (frame indices
// in frames[0…releaseCount), the view bit ignored) goes to the fill ring, waking the kernel
// if it asks; then the next batch comes out: frames[i] = frame index, | 0x80000000 when
// viewKeys[index] (offset in frame << 16 | length) changed (JavaScript makes a new view),
// and descs[2i], descs[2i+1] = address, length. owners is the allocator's place per frame:
// every frame moved is checked (released ones must be receivedPlace, received ones
// fillPlace) and moved; on a mismatch nothing moves and the error names the frame. When the
// fill ring takes only part of the release, nothing is received: the rest stay
// receivedPlace in frames[released…releaseCount) for the caller to free.
static napi_value rx_batch(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!js_args(env, info, 9, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  uint8_t *owners;
  uint32_t *frames, *descs, *keys;
  size_t owners_length, frames_length, descs_length, keys_length;
  int64_t fill_place, received_place, release_count, max;
  if (!s || !js_bytes(env, argv[1], (void **)&owners, &owners_length) || !js_int(env, argv[2], &fill_place) || !js_int(env, argv[3], &received_place) || !js_u32_array(env, argv[4], &frames, &frames_length) ||
      !js_int(env, argv[5], &release_count) || !js_u32_array(env, argv[6], &descs, &descs_length) || !js_u32_array(env, argv[7], &keys, &keys_length) || !js_int(env, argv[8], &max) ||
      fill_place < 0 || fill_place > 255 || received_place < 0 || received_place > 255 || fill_place == received_place || release_count < 0 || (uint64_t)release_count > frames_length || max < 0 ||
      max > 32768 || (uint64_t)max > frames_length || (uint64_t)max * 2 > descs_length)
    return js_type_error(env, "rxBatch(socket, owners, fillPlace, receivedPlace, frames, releaseCount, descs, viewKeys, max)");
  umem_handle *u = s->umem;
  const uint32_t nframes = u->frames, shift = u->frame_shift;
  if (owners_length < nframes || keys_length < nframes) return js_type_error(env, "rxBatch: owners and viewKeys must have an entry per UMEM frame");
  const uint8_t fillp = (uint8_t)fill_place, recvp = (uint8_t)received_place;
  struct xsk_ring_prod *fq = s->rings->fill;
  __u32 released = 0;
  if (release_count) {
    // Check and move in one pass (a frame listed twice is caught), undone on a mismatch.
    for (__u32 i = 0; i < release_count; i++) {
      uint32_t index = frames[i] & ~RX_VIEW_MISS;
      if (index >= nframes || owners[index] != recvp) {
        int found = index < nframes ? owners[index] : -1;
        while (i-- > 0) owners[frames[i] & ~RX_VIEW_MISS] = recvp;
        return frame_violation(env, index, found, recvp);
      }
      owners[index] = fillp;
    }
    __u32 idx = 0; // set by the ring call when it returns > 0
    released = xsk_ring_prod__reserve(fq, release_count, &idx);
    for (__u32 i = 0; i < released; i++) *xsk_ring_prod__fill_addr(fq, idx + i) = (__u64)(frames[i] & ~RX_VIEW_MISS) << shift;
    xsk_ring_prod__submit(fq, released);
    for (__u32 i = released; i < release_count; i++) owners[frames[i] & ~RX_VIEW_MISS] = recvp;
    if (released < release_count) return js_number(env, (int64_t)released << 16);
  }
  if (xsk_ring_prod__needs_wakeup(fq)) recvfrom(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
  __u32 idx = 0; // set by the ring call when it returns > 0
  __u32 n = xsk_ring_cons__peek(&s->rx, max, &idx);
  const uint32_t offset_mask = (1u << shift) - 1;
  for (__u32 i = 0; i < n; i++) {
    const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);
    uint64_t index64 = d->addr >> shift;
    uint32_t index = (uint32_t)index64;
    if (index64 >= nframes || owners[index] != fillp) {
      int found = index64 < nframes ? owners[index] : -1;
      while (i-- > 0) {
        uint32_t back = frames[i] & ~RX_VIEW_MISS;
        owners[back] = fillp;
        keys[back] = UINT32_MAX;  // its view may not have been made: make it next time
      }
      xsk_ring_cons__cancel(&s->rx, n);
      return frame_violation(env, index64 < nframes ? index : UINT32_MAX, found, fillp);
    }
    owners[index] = recvp;
    // The kernel wrote the frame from another CPU: start fetching its first bytes now, so
    // the caller's first look at each frame does not wait on one miss after another.
    __builtin_prefetch((const char *)u->area + d->addr);
    uint32_t key = (((uint32_t)d->addr & offset_mask) << 16) | (d->len & 0xffff);
    uint32_t entry = index;
    if (keys[index] != key) {
      keys[index] = key;
      entry |= RX_VIEW_MISS;
    }
    frames[i] = entry;
    descs[2 * i] = (uint32_t)d->addr;
    descs[2 * i + 1] = d->len;
  }
  xsk_ring_cons__release(&s->rx, n);
  return js_number(env, (int64_t)n + ((int64_t)released << 16));
}

// txSubmit(socket, descs: Uint32Array [addr, len]*, count): number queued
static napi_value tx_submit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  uint32_t *descs;
  size_t length;
  int64_t count;
  if (!s || !js_u32_array(env, argv[1], &descs, &length) || !js_int(env, argv[2], &count) || count < 0 || (size_t)count * 2 > length) return js_type_error(env, "txSubmit(socket, descs, count)");
  __u32 idx = 0; // set by the ring call when it returns > 0
  __u32 n = xsk_ring_prod__reserve(&s->tx, count, &idx);
  for (__u32 i = 0; i < n; i++) {
    struct xdp_desc *d = xsk_ring_prod__tx_desc(&s->tx, idx + i);
    d->addr = descs[2 * i];
    d->len = descs[2 * i + 1];
    d->options = 0;
  }
  xsk_ring_prod__submit(&s->tx, n);
  if (n) {
    kick_tx(env, s);
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  }
  return js_number(env, n);
}

// wakeupRx(socket): a recvfrom when the kernel asks to be told the fill ring has frames
static napi_value wakeup_rx(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  if (!s) return js_type_error(env, "wakeupRx(socket): closed socket");
  if (xsk_ring_prod__needs_wakeup(s->rings->fill)) recvfrom(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
  return NULL;
}

// stats(socket): { rxDropped, rxInvalidDescs, txInvalidDescs, rxRingFull, rxFillRingEmpty, txRingEmpty, txKicks }
static napi_value socket_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  if (!s) return js_type_error(env, "stats(socket): closed socket");
  struct xdp_statistics st = {0};
  socklen_t len = sizeof st;
  if (getsockopt(xsk_socket__fd(s->xsk), SOL_XDP, XDP_STATISTICS, &st, &len)) return js_fail(env, "getsockopt(XDP_STATISTICS)", errno);
  napi_value r;
  napi_create_object(env, &r);
  napi_set_named_property(env, r, "rxDropped", js_number(env, st.rx_dropped));
  napi_set_named_property(env, r, "rxInvalidDescs", js_number(env, st.rx_invalid_descs));
  napi_set_named_property(env, r, "txInvalidDescs", js_number(env, st.tx_invalid_descs));
  napi_set_named_property(env, r, "rxRingFull", js_number(env, st.rx_ring_full));
  napi_set_named_property(env, r, "rxFillRingEmpty", js_number(env, st.rx_fill_ring_empty_descs));
  napi_set_named_property(env, r, "txRingEmpty", js_number(env, st.tx_ring_empty_descs));
  napi_set_named_property(env, r, "txKicks", js_number(env, (int64_t)s->kicks));
  return r;
}

// ---- waiting for frames without blocking the event loop ---------------------------------
// On the event loop's own thread: the socket fd (and a timerfd for the coalescing pause) are
// watched by libuv, so a wait costs no thread hop. One wait per socket at a time; a new one
// ends the previous (false). Closing the socket ends it (false) and closes the handles.
struct rx_wait {
  napi_env env;
  socket_handle *s;  // NULL once the socket is gone
  uv_poll_t fd_poll;
  uv_poll_t timer_poll;
  uv_timer_t timeout;
  int timerfd;
  int handles_open;
  bool timer_poll_init, fd_polling, timer_polling;
  napi_deferred deferred;  // the pending wait, or NULL
  napi_async_context context;
  int timeout_ms;
};

static void rx_wait_stop(rx_wait *w) {
  if (w->fd_polling) uv_poll_stop(&w->fd_poll);
  if (w->timer_polling) uv_poll_stop(&w->timer_poll);
  w->fd_polling = w->timer_polling = false;
  uv_timer_stop(&w->timeout);
}

// from_loop: called by libuv (not from JavaScript), so a callback scope runs the microtasks
// (the awaiting loop) when it closes, as after async work.
static void rx_wait_finish(rx_wait *w, bool ready, bool from_loop) {
  rx_wait_stop(w);
  napi_deferred d = w->deferred;
  if (!d) return;
  w->deferred = NULL;
  napi_env env = w->env;
  napi_handle_scope hs;
  if (napi_open_handle_scope(env, &hs) != napi_ok) return;
  napi_value resource, value;
  napi_callback_scope cs = NULL;
  bool scoped = from_loop && w->context && napi_create_object(env, &resource) == napi_ok && napi_open_callback_scope(env, resource, w->context, &cs) == napi_ok;
  napi_get_boolean(env, ready, &value);
  napi_resolve_deferred(env, d, value);
  if (scoped) napi_close_callback_scope(env, cs);
  napi_close_handle_scope(env, hs);
}

static bool rx_ready(socket_handle *s) {
  return s && s->xsk && xsk_cons_nb_avail(&s->rx, 1) > 0;
}

static void rx_wait_on_fd(uv_poll_t *h, int status, int events) {
  rx_wait_finish(h->data, true, true);
}

static void rx_wait_on_timeout(uv_timer_t *h) {
  rx_wait_finish(h->data, false, true);
}

static void rx_wait_fd(rx_wait *w, bool from_loop) {
  if (rx_ready(w->s)) {
    rx_wait_finish(w, true, from_loop);
    return;
  }
  if (uv_poll_start(&w->fd_poll, UV_READABLE, rx_wait_on_fd) != 0) {
    rx_wait_finish(w, false, from_loop);
    return;
  }
  w->fd_polling = true;
  uv_timer_start(&w->timeout, rx_wait_on_timeout, (uint64_t)w->timeout_ms, 0);
}

static void rx_wait_on_pause(uv_poll_t *h, int status, int events) {
  rx_wait *w = h->data;
  uint64_t expirations;
  if (read(w->timerfd, &expirations, sizeof expirations) < 0) {
    // spurious: the pause has not ended (EAGAIN)
  }
  if (w->timer_polling) uv_poll_stop(&w->timer_poll);
  w->timer_polling = false;
  rx_wait_fd(w, true);
}

static void rx_wait_handle_closed(uv_handle_t *h) {
  rx_wait *w = h->data;
  if (--w->handles_open > 0) return;
  if (w->timerfd >= 0) close(w->timerfd);
  free(w);
}

static void rx_wait_cleanup_hook(void *arg);

static void rx_wait_release(rx_wait *w, bool from_hook) {
  rx_wait_finish(w, false, false);
  if (w->s) w->s->wait = NULL;
  w->s = NULL;
  if (!from_hook) napi_remove_env_cleanup_hook(w->env, rx_wait_cleanup_hook, w);
  if (w->context) napi_async_destroy(w->env, w->context);
  w->context = NULL;
  uv_close((uv_handle_t *)&w->fd_poll, rx_wait_handle_closed);
  if (w->timer_poll_init) uv_close((uv_handle_t *)&w->timer_poll, rx_wait_handle_closed);
  uv_close((uv_handle_t *)&w->timeout, rx_wait_handle_closed);
}

// Ends the pending wait (false) and closes the handles; freed once libuv has let go.
static void rx_wait_close(rx_wait *w) {
  rx_wait_release(w, false);
}

// The environment ends (a Worker terminated) with the socket open: let go of the loop.
static void rx_wait_cleanup_hook(void *arg) {
  rx_wait *w = arg;
  w->deferred = NULL;  // nobody is left to resolve it for
  rx_wait_release(w, true);
}

static rx_wait *rx_wait_get(napi_env env, socket_handle *s) {
  if (s->wait) return s->wait->env == env ? s->wait : NULL;
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return NULL;
  rx_wait *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->env = env;
  w->s = s;
  w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (w->timerfd < 0) {
    free(w);
    return NULL;
  }
  if (uv_poll_init(loop, &w->fd_poll, xsk_socket__fd(s->xsk)) != 0) {
    close(w->timerfd);
    free(w);
    return NULL;
  }
  w->fd_poll.data = w;
  w->handles_open = 1;
  // Initialized handles from here on are closed (and w freed) through rx_wait_close.
  if (uv_poll_init(loop, &w->timer_poll, w->timerfd) == 0) {
    w->timer_poll.data = w;
    w->timer_poll_init = true;
    w->handles_open++;
  }
  uv_timer_init(loop, &w->timeout);
  w->timeout.data = w;
  w->handles_open++;
  napi_value name;
  napi_create_string_utf8(env, "tsxdp.xsk.wait", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->context);
  napi_add_env_cleanup_hook(env, rx_wait_cleanup_hook, w);
  s->wait = w;
  if (!w->timer_poll_init) {
    rx_wait_close(w);
    return NULL;
  }
  return w;
}

// waitReadable(socket, timeoutMs, coalesceUs): Promise<boolean> — true when frames are
// waiting (after a coalescing pause of coalesceUs first), false on timeout or close.
static napi_value wait_readable(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  int64_t timeout, coalesce;
  if (!s || !js_int(env, argv[1], &timeout) || timeout < 0 || timeout > 60000 || !js_int(env, argv[2], &coalesce) || coalesce < 0 || coalesce > 10000) return js_type_error(env, "waitReadable(socket, timeoutMs 0…60000, coalesceUs 0…10000)");
  rx_wait *w = rx_wait_get(env, s);
  if (!w) return js_fail(env, "wait on the AF_XDP socket (another thread's socket, or no event loop handles)", EINVAL);
  if (w->deferred) rx_wait_finish(w, false, false);
  napi_value promise;
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) return js_fail(env, "napi_create_promise", ENOMEM);
  w->timeout_ms = (int)timeout;
  if (coalesce > 0) {
    struct itimerspec t = {.it_value = {.tv_sec = 0, .tv_nsec = coalesce * 1000}};
    if (timerfd_settime(w->timerfd, 0, &t, NULL) == 0 && uv_poll_start(&w->timer_poll, UV_READABLE, rx_wait_on_pause) == 0) {
      w->timer_polling = true;
      return promise;
    }
  }
  rx_wait_fd(w, false);
  return promise;
}

// socketDelete(socket), umemDelete(umem): idempotent
static napi_value socket_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  socket_handle *s = external(env, argv[0], &socket_tag);
  if (s) socket_close(s);
  return NULL;
}

static napi_value umem_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  umem_handle *u = external(env, argv[0], &umem_tag);
  if (u && u->umem) {
    if (u->sockets > 0) return js_fail(env, "xsk_umem__delete: sockets still use this UMEM", EBUSY);
    int err = xsk_umem__delete(u->umem);
    if (err) return js_fail(env, "xsk_umem__delete", err);
    u->umem = NULL;
    // Views of a detached ArrayBuffer have length 0: a stale frame reads as empty instead
    // of touching unmapped memory, so the mapping can go now.
    napi_value buffer = NULL;
    if (u->buffer_ref && napi_get_reference_value(env, u->buffer_ref, &buffer) == napi_ok && buffer) {
      if (napi_detach_arraybuffer(env, buffer) == napi_ok) u->buffer_live = false;
    } else if (u->buffer_ref) {
      u->buffer_live = false;  // collected: its finalizer may still be queued, and waits on nothing
    }
    umem_unmap_if_unseen(u);
  }
  return NULL;
}

// ---- process-wide shared kernel objects ---------------------------------------------------
// An interface takes one XDP program, but its queues' sockets may live in different
// worker_threads: the default redirect program (map, program, link fds) is shared by key
// across every thread of the process and reference-counted. JavaScript creates the objects
// (inside the lock, so two threads never both create them) and closes them when the last
// user releases; an environment that ends without releasing (a terminated Worker) has its
// share dropped by a cleanup hook.
#define SHARED_MAX_FDS 4
typedef struct shared_entry shared_entry;
struct shared_entry {
  shared_entry *next;
  char key[128];
  int fds[SHARED_MAX_FDS];
  int nfds;
  int refs;
};
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static shared_entry *shared_entries;

// What one environment holds, so its cleanup hook can give it back.
typedef struct env_share env_share;
struct env_share {
  env_share *next;
  char key[128];
  int refs;
};
typedef struct {
  env_share *shares;
} env_state;

static shared_entry *shared_find(const char *key) {
  shared_entry *e = shared_entries;
  while (e && strcmp(e->key, key) != 0) e = e->next;
  return e;
}

// Drops one reference; when it was the last, the entry's fds are returned through `fds`.
static int shared_drop(const char *key, int *fds) {
  shared_entry **p = &shared_entries;
  while (*p && strcmp((*p)->key, key) != 0) p = &(*p)->next;
  if (!*p || --(*p)->refs > 0) return 0;
  shared_entry *e = *p;
  *p = e->next;
  int n = e->nfds;
  memcpy(fds, e->fds, sizeof e->fds);
  free(e);
  return n;
}

static env_state *state_of(napi_env env) {
  env_state *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  return st;
}

static void env_track(napi_env env, const char *key, int delta) {
  env_state *st = state_of(env);
  if (!st) return;
  env_share **p = &st->shares;
  while (*p && strcmp((*p)->key, key) != 0) p = &(*p)->next;
  if (!*p) {
    if (delta < 0) return;
    env_share *n = calloc(1, sizeof *n);
    if (!n) return;
    snprintf(n->key, sizeof n->key, "%s", key);
    *p = n;
  }
  (*p)->refs += delta;
  if ((*p)->refs <= 0) {
    env_share *gone = *p;
    *p = gone->next;
    free(gone);
  }
}

static void env_cleanup(void *arg) {
  env_state *st = arg;
  pthread_mutex_lock(&shared_lock);
  for (env_share *sh = st->shares, *next; sh; sh = next) {
    next = sh->next;
    for (int i = 0; i < sh->refs; i++) {
      int fds[SHARED_MAX_FDS];
      int n = shared_drop(sh->key, fds);
      for (int j = 0; j < n; j++) close(fds[j]);
    }
    free(sh);
  }
  pthread_mutex_unlock(&shared_lock);
  // Freed here, not by an instance-data finalizer, whose order against this hook is not given.
  free(st);
}


static bool key_arg(napi_env env, napi_value v, char *key) {
  size_t len;
  return napi_get_value_string_utf8(env, v, key, 128, &len) == napi_ok && len > 0 && len < 127;
}

// sharedAcquire(key, create: () => number[]): number[] — the fds under `key`, made by
// `create` (at most 4) when no thread holds them yet
static napi_value shared_acquire(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!js_args(env, info, 2, argv)) return NULL;
  char key[128];
  napi_valuetype t;
  if (!key_arg(env, argv[0], key) || napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return js_type_error(env, "sharedAcquire(key, create)");
  pthread_mutex_lock(&shared_lock);
  shared_entry *e = shared_find(key);
  if (!e) {
    napi_value global, made;
    napi_get_global(env, &global);
    if (napi_call_function(env, global, argv[1], 0, NULL, &made) != napi_ok) {
      pthread_mutex_unlock(&shared_lock);
      return NULL;  // create() threw: the exception propagates
    }
    bool is_array = false;
    uint32_t n = 0;
    if (napi_is_array(env, made, &is_array) != napi_ok || !is_array || napi_get_array_length(env, made, &n) != napi_ok || n == 0 || n > SHARED_MAX_FDS) {
      pthread_mutex_unlock(&shared_lock);
      return js_type_error(env, "sharedAcquire: create() must return 1…4 fds");
    }
    e = calloc(1, sizeof *e);
    if (!e) {
      pthread_mutex_unlock(&shared_lock);
      return js_fail(env, "allocate a shared entry", ENOMEM);
    }
    snprintf(e->key, sizeof e->key, "%s", key);
    for (uint32_t i = 0; i < n; i++) {
      napi_value v;
      int64_t fd = -1;
      napi_get_element(env, made, i, &v);
      if (!js_int(env, v, &fd) || fd < 0 || fd > INT32_MAX) {
        free(e);
        pthread_mutex_unlock(&shared_lock);
        return js_type_error(env, "sharedAcquire: create() must return fds");
      }
      e->fds[i] = (int)fd;
    }
    e->nfds = n;
    e->next = shared_entries;
    shared_entries = e;
  }
  e->refs++;
  env_track(env, key, 1);
  napi_value out;
  napi_create_array_with_length(env, e->nfds, &out);
  for (int i = 0; i < e->nfds; i++) napi_set_element(env, out, i, js_number(env, e->fds[i]));
  pthread_mutex_unlock(&shared_lock);
  return out;
}

// sharedRelease(key): number[] — the fds to close when this was the last user, else []
static napi_value shared_release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  char key[128];
  if (!key_arg(env, argv[0], key)) return js_type_error(env, "sharedRelease(key)");
  int fds[SHARED_MAX_FDS];
  int n = 0;
  pthread_mutex_lock(&shared_lock);
  env_state *st = state_of(env);
  env_share *mine = st ? st->shares : NULL;
  while (mine && strcmp(mine->key, key) != 0) mine = mine->next;
  // Only what this environment acquired: a double release must not take another's share.
  if (mine) {
    n = shared_drop(key, fds);
    env_track(env, key, -1);
  }
  pthread_mutex_unlock(&shared_lock);
  napi_value out;
  napi_create_array_with_length(env, n, &out);
  for (int i = 0; i < n; i++) napi_set_element(env, out, i, js_number(env, fds[i]));
  return out;
}

// mapCreate(type, keySize, valueSize, maxEntries, name): fd
static napi_value map_create(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!js_args(env, info, 5, argv)) return NULL;
  int64_t type, key, value, max;
  char name[16];
  size_t len;
  if (!js_int(env, argv[0], &type) || !js_int(env, argv[1], &key) || !js_int(env, argv[2], &value) || !js_int(env, argv[3], &max) || napi_get_value_string_utf8(env, argv[4], name, sizeof name, &len) != napi_ok)
    return js_type_error(env, "mapCreate(type, keySize, valueSize, maxEntries, name)");
  int fd = bpf_map_create(type, name, key, value, max, NULL);
  if (fd < 0) return js_fail(env, "bpf_map_create", errno);
  return js_number(env, fd);
}

// progLoadRaw(type, insns: Uint8Array, license, name): fd
static napi_value prog_load_raw(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!js_args(env, info, 4, argv)) return NULL;
  int64_t type;
  void *insns;
  size_t len, slen;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  bool is;
  char license[32], name[16];
  if (!js_int(env, argv[0], &type) || napi_is_typedarray(env, argv[1], &is) != napi_ok || !is || napi_get_value_string_utf8(env, argv[2], license, sizeof license, &slen) != napi_ok || napi_get_value_string_utf8(env, argv[3], name, sizeof name, &slen) != napi_ok)
    return js_type_error(env, "progLoadRaw(type, insns, license, name)");
  napi_get_typedarray_info(env, argv[1], &t, &len, &insns, &ab, &off);
  if (t != napi_uint8_array || len % 8 || len == 0) return js_type_error(env, "progLoadRaw: instructions must be a Uint8Array of 8-byte instructions");
  // Per call, not static: worker threads load programs at the same time.
  const size_t log_size = 16384;
  char *log = calloc(1, log_size);
  if (!log) return js_fail(env, "allocate a verifier log", ENOMEM);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = log_size, .log_level = 0);
  int fd = bpf_prog_load(type, name, license, insns, len / 8, &opts);
  int saved = errno;
  napi_value result = fd < 0 ? js_fail(env, log[0] ? log : "bpf_prog_load", saved) : js_number(env, fd);
  free(log);
  return result;
}

void tsxdp_xsk_init(napi_env env, napi_value exports) {
  env_state *st = calloc(1, sizeof *st);
  if (st && napi_set_instance_data(env, st, NULL, NULL) == napi_ok) napi_add_env_cleanup_hook(env, env_cleanup, st);
  napi_property_descriptor props[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
      FN("umemCreate", umem_create), FN("umemRead", umem_read), FN("umemWrite", umem_write), FN("umemDelete", umem_delete),
      FN("socketCreate", socket_create), FN("socketFd", socket_fd), FN("socketDelete", socket_delete), FN("socketStats", socket_stats),
      FN("socketSetOption", socket_set_option), FN("fillSubmit", fill_submit), FN("completionReap", completion_reap), FN("rxBatch", rx_batch), FN("txSubmit", tx_submit),
      FN("wakeupRx", wakeup_rx), FN("waitReadable", wait_readable), FN("sharedAcquire", shared_acquire), FN("sharedRelease", shared_release), FN("mapCreate", map_create), FN("progLoadRaw", prog_load_raw),
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
