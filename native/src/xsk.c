// AF_XDP sockets over libxdp's xsk API and their four rings, moved in batches. Thin:
// descriptors go in and out through typed arrays the caller owns ([addr, len] pairs, frame
// indices), the frame accounting table is the caller's too (checked and updated here, on
// the hot path, so that each batch is one call), and all policy (frame allocation, modes,
// fallbacks, errors in words) lives in runtime/xsk/. The UMEM is umem.c's; the event-loop
// wait is wait.c's.
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <node_api.h>
#include <xdp/xsk.h>

#include "addon.h"
#include "js.h"
#include "umem.h"
#include "wait.h"

typedef struct {
  struct xsk_socket *xsk;
  fd_wait *wait;  // the event-loop wait (waitReadable), made on first use
  struct xsk_ring_cons rx;
  struct xsk_ring_prod tx;
  ring_pair *rings;
  umem_handle *umem;
  bool need_wakeup;
  uint64_t kicks;
  // The frame reap_completions found in the wrong place, and where it was.
  uint32_t violation_frame;
  int violation_found;
} socket_handle;

static const napi_type_tag socket_tag = {0x7473786470736f63ULL, 0x6b68616e646c6531ULL};

static void socket_finalize(napi_env env, void *data, void *hint);

// socketCreate(umem, ifname, queue, rxSize, txSize, bindFlags): socket
static napi_value socket_create(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!js_args(env, info, 6, argv)) return NULL;
  umem_handle *u = umem_arg(env, argv[0]);
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
  napi_value out = js_external_new(env, s, socket_finalize, &socket_tag);
  if (!out) {
    socket_finalize(env, s, NULL);
    return js_fail(env, "napi_create_external", ENOMEM);
  }
  return out;
}

static void socket_close(socket_handle *s) {
  if (!s->xsk) return;
  // The loop must stop polling the fd before it closes.
  if (s->wait) fd_wait_close(s->wait);
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
  socket_handle *s = js_external(env, v, &socket_tag);
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
static int kick_tx(socket_handle *s) {
  if (s->need_wakeup && !xsk_ring_prod__needs_wakeup(&s->tx)) return 0;
  s->kicks++;
  if (sendto(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN) return errno;
  return 0;
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
// A held frame that left the batch before its release (transmitted: txBatch).
#define HELD_GONE 0xffffffffu

// rxBatch(socket, owners: Uint8Array, fillPlace, receivedPlace, held: Uint32Array,
//         releaseCount, descs: Uint32Array [addr, len]*, viewKeys: Uint32Array,
//         heldSlots: Uint32Array, max): received + 65536 × released — one call per batch.
// First the previous batch (frame indices in held[0…releaseCount), the view bit ignored,
// entries that left the batch (HELD_GONE) skipped and the rest moved to the front) goes to
// the fill ring, waking the kernel if it asks; then the next batch comes out: held[i] =
// frame index, | 0x80000000 when viewKeys[index] (offset in frame << 16 | length) changed
// (JavaScript makes a new view), heldSlots[index] = i, and descs[2i], descs[2i+1] = address,
// length. owners is the allocator's place per frame: every frame moved is checked (released
// ones must be receivedPlace, received ones fillPlace) and moved; on a mismatch nothing
// moves and the error names the frame. When the fill ring takes only part of the release,
// nothing is received: the rest stay receivedPlace in held[released…) for the caller to free.
static napi_value rx_batch(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!js_args(env, info, 10, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  uint8_t *owners;
  uint32_t *frames, *descs, *keys, *slots;
  size_t owners_length, frames_length, descs_length, keys_length, slots_length;
  int64_t fill_place, received_place, release_count, max;
  if (!s || !js_bytes(env, argv[1], (void **)&owners, &owners_length) || !js_int(env, argv[2], &fill_place) || !js_int(env, argv[3], &received_place) || !js_u32_array(env, argv[4], &frames, &frames_length) ||
      !js_int(env, argv[5], &release_count) || !js_u32_array(env, argv[6], &descs, &descs_length) || !js_u32_array(env, argv[7], &keys, &keys_length) || !js_u32_array(env, argv[8], &slots, &slots_length) ||
      !js_int(env, argv[9], &max) || fill_place < 0 || fill_place > 255 || received_place < 0 || received_place > 255 || fill_place == received_place || release_count < 0 ||
      (uint64_t)release_count > frames_length || max < 0 || max > 32768 || (uint64_t)max > frames_length || (uint64_t)max * 2 > descs_length)
    return js_type_error(env, "rxBatch(socket, owners, fillPlace, receivedPlace, held, releaseCount, descs, viewKeys, heldSlots, max)");
  umem_handle *u = s->umem;
  const uint32_t nframes = u->frames, shift = u->frame_shift;
  if (owners_length < nframes || keys_length < nframes || slots_length < nframes) return js_type_error(env, "rxBatch: owners, viewKeys and heldSlots must have an entry per UMEM frame");
  const uint8_t fillp = (uint8_t)fill_place, recvp = (uint8_t)received_place;
  struct xsk_ring_prod *fq = s->rings->fill;
  __u32 released = 0;
  if (release_count) {
    // Frames that left the batch are dropped from the list first.
    __u32 kept = 0;
    for (__u32 i = 0; i < release_count; i++)
      if (frames[i] != HELD_GONE) frames[kept++] = frames[i];
    // Check and move in one pass (a frame listed twice is caught), undone on a mismatch.
    for (__u32 i = 0; i < kept; i++) {
      uint32_t index = frames[i] & ~RX_VIEW_MISS;
      if (index >= nframes || owners[index] != recvp) {
        int found = index < nframes ? owners[index] : -1;
        while (i-- > 0) owners[frames[i] & ~RX_VIEW_MISS] = recvp;
        return frame_violation(env, index, found, recvp);
      }
      owners[index] = fillp;
    }
    __u32 idx = 0; // set by the ring call when it returns > 0
    released = xsk_ring_prod__reserve(fq, kept, &idx);
    for (__u32 i = 0; i < released; i++) *xsk_ring_prod__fill_addr(fq, idx + i) = (__u64)(frames[i] & ~RX_VIEW_MISS) << shift;
    xsk_ring_prod__submit(fq, released);
    for (__u32 i = released; i < kept; i++) owners[frames[i] & ~RX_VIEW_MISS] = recvp;
    if (released < kept) return js_number(env, (int64_t)released << 16);
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
    slots[index] = i;
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

// txBatch's counters in and out (a Uint32Array the caller reuses).
enum {
  TX_HELD_COUNT,       // in: entries in held[] (the batch being read)
  TX_FREE_COUNT,       // in/out: frames on the free stack
  TX_FILL_ROOM,        // in: completed frames the fill ring may take (its target − what it holds)
  TX_IN_FLIGHT,        // in: frames in flight on TX before the call (a kick may be due)
  TX_QUEUED,           // out: descriptors queued (the first ones)
  TX_LEFT_BATCH,       // out: queued frames that were in held[] (now HELD_GONE there)
  TX_COMPLETED_FILL,   // out: completed frames put on the fill ring
  TX_COMPLETED_FREE,   // out: completed frames pushed on the free stack
  TX_IO_LENGTH
};

// Drains the completion ring: each completed frame (checked: it must be in flight on TX)
// goes to the fill ring while *fill_room lasts, else onto the free stack. Returns how many,
// or -1 on a frame in the wrong place (nothing of this round moved; named in the socket).
static int reap_completions(socket_handle *s, uint8_t *owners, uint8_t txp, uint8_t fillp, uint32_t *free_stack, uint32_t *free_count, uint32_t *fill_room, uint32_t *to_fill, uint32_t *to_free) {
  const uint32_t nframes = s->umem->frames, shift = s->umem->frame_shift;
  struct xsk_ring_cons *cq = s->rings->comp;
  struct xsk_ring_prod *fq = s->rings->fill;
  __u32 cidx = 0;
  __u32 completed = xsk_ring_cons__peek(cq, UINT32_MAX, &cidx);
  if (*free_count + completed > nframes) {
    // More frames than the UMEM has would be free: the caller's free count is wrong.
    xsk_ring_cons__cancel(cq, completed);
    s->violation_frame = UINT32_MAX;
    s->violation_found = -1;
    return -1;
  }
  for (__u32 i = 0; i < completed; i++) {
    uint64_t index = *xsk_ring_cons__comp_addr(cq, cidx + i) >> shift;
    if (index >= nframes || owners[index] != txp) {
      s->violation_frame = index < nframes ? (uint32_t)index : UINT32_MAX;
      s->violation_found = index < nframes ? owners[index] : -1;
      while (i-- > 0) owners[*xsk_ring_cons__comp_addr(cq, cidx + i) >> shift] = txp;
      xsk_ring_cons__cancel(cq, completed);
      return -1;
    }
    owners[index] = 0;  // placed below: fill ring or free stack
  }
  __u32 fill = completed < *fill_room ? completed : *fill_room;
  __u32 fidx = 0;
  if (fill) fill = xsk_ring_prod__reserve(fq, fill, &fidx);
  for (__u32 i = 0; i < completed; i++) {
    uint64_t frame_addr = (*xsk_ring_cons__comp_addr(cq, cidx + i) >> shift) << shift;
    if (i < fill) {
      owners[frame_addr >> shift] = fillp;
      *xsk_ring_prod__fill_addr(fq, fidx + i) = frame_addr;
    } else {
      free_stack[(*free_count)++] = (uint32_t)frame_addr;
    }
  }
  xsk_ring_cons__release(cq, completed);
  if (fill) {
    xsk_ring_prod__submit(fq, fill);
    if (xsk_ring_prod__needs_wakeup(fq)) recvfrom(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
  }
  *fill_room -= fill;
  *to_fill += fill;
  *to_free += completed - fill;
  return (int)completed;
}

// txBatch(socket, owners: Uint8Array, heldPlace, transmitPlace, fillPlace, held: Uint32Array,
//         heldSlots: Uint32Array, freeStack: Uint32Array, io: Uint32Array,
//         descs: Uint32Array [addr, len]*, count): number queued — transmit and completion
// in one call. Every descriptor's frame must be in heldPlace (received in the current batch,
// or claimed by the caller for writing): it moves to transmitPlace and, when it was in the
// batch (held[heldSlots[index]] is it), leaves the batch. The TX ring takes the first ones;
// the rest stay where they were. Then the kernel is kicked if it asks (or always without
// need_wakeup) and the completion ring is drained: completed frames go back to the fill ring
// while it has room (forwarded frames return to receive), the rest onto the free stack. A
// frame found in the wrong place stops the call before anything moves (an error naming it).
static napi_value tx_batch(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!js_args(env, info, 11, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  uint8_t *owners;
  uint32_t *held, *slots, *free_stack, *io, *descs;
  size_t owners_length, held_length, slots_length, free_length, io_length, descs_length;
  int64_t held_place, transmit_place, fill_place, count;
  if (!s || !js_bytes(env, argv[1], (void **)&owners, &owners_length) || !js_int(env, argv[2], &held_place) || !js_int(env, argv[3], &transmit_place) || !js_int(env, argv[4], &fill_place) ||
      !js_u32_array(env, argv[5], &held, &held_length) || !js_u32_array(env, argv[6], &slots, &slots_length) || !js_u32_array(env, argv[7], &free_stack, &free_length) ||
      !js_u32_array(env, argv[8], &io, &io_length) || !js_u32_array(env, argv[9], &descs, &descs_length) || !js_int(env, argv[10], &count) || held_place < 0 || held_place > 255 ||
      transmit_place < 0 || transmit_place > 255 || fill_place < 0 || fill_place > 255 || held_place == transmit_place || fill_place == transmit_place || count < 0 || (uint64_t)count * 2 > descs_length ||
      io_length < TX_IO_LENGTH)
    return js_type_error(env, "txBatch(socket, owners, heldPlace, transmitPlace, fillPlace, held, heldSlots, freeStack, io, descs, count)");
  umem_handle *u = s->umem;
  const uint32_t nframes = u->frames, shift = u->frame_shift;
  const uint32_t frame_size = 1u << shift;
  if (owners_length < nframes || slots_length < nframes || free_length < nframes || io[TX_HELD_COUNT] > held_length || io[TX_FREE_COUNT] > nframes)
    return js_type_error(env, "txBatch: owners, heldSlots and freeStack must have an entry per UMEM frame");
  const uint8_t heldp = (uint8_t)held_place, txp = (uint8_t)transmit_place, fillp = (uint8_t)fill_place;
  // Nothing has moved yet, whatever happens next.
  io[TX_QUEUED] = io[TX_LEFT_BATCH] = io[TX_COMPLETED_FILL] = io[TX_COMPLETED_FREE] = 0;

  // Check and move every descriptor's frame (a frame listed twice is caught); undone on a
  // mismatch. Lengths and offsets stay inside the frame; empty frames are refused before
  // here (the kernel counts them invalid and completes them unsent).
  for (uint32_t i = 0; i < count; i++) {
    uint32_t addr = descs[2 * i], len = descs[2 * i + 1];
    uint32_t index = addr >> shift;
    if (index >= nframes || owners[index] != heldp || len == 0 || (addr & (frame_size - 1)) + len > frame_size) {
      int found = index < nframes ? owners[index] : -1;
      while (i-- > 0) owners[descs[2 * i] >> shift] = heldp;
      if (index < nframes && found == heldp) return js_type_error(env, "txBatch: a descriptor is empty or runs past the end of its frame");
      return frame_violation(env, index < nframes ? index : UINT32_MAX, found, heldp);
    }
    owners[index] = txp;
  }
  const uint32_t held_count = io[TX_HELD_COUNT];
  uint32_t left_batch = 0, to_fill = 0, to_free = 0, free_count = io[TX_FREE_COUNT], fill_room = io[TX_FILL_ROOM];
  __u32 queued = 0;
  bool kick = io[TX_IN_FLIGHT] > 0 || count > 0;
  // Copy mode sends at most 32 frames per sendto(), and not while the completion ring is
  // full: queue, kick and reap in rounds until everything is queued and the TX ring is
  // empty, or a round makes no progress (as a C forwarder spins on a full TX ring).
  for (int round = 0; round < 256; round++) {
    __u32 idx = 0; // set by the ring call when it returns > 0
    __u32 n = queued < count ? xsk_ring_prod__reserve(&s->tx, (__u32)count - queued, &idx) : 0;
    for (__u32 i = 0; i < n; i++) {
      struct xdp_desc *d = xsk_ring_prod__tx_desc(&s->tx, idx + i);
      uint32_t addr = descs[2 * (queued + i)], index = addr >> shift;
      d->addr = addr;
      d->len = descs[2 * (queued + i) + 1];
      d->options = 0;
      uint32_t slot = slots[index];
      if (slot < held_count && (held[slot] & ~RX_VIEW_MISS) == index) {
        held[slot] = HELD_GONE;
        left_batch++;
      }
    }
    xsk_ring_prod__submit(&s->tx, n);
    queued += n;
    __u32 outstanding = s->tx.size - xsk_prod_nb_free(&s->tx, s->tx.size);
    if (kick && outstanding) {
      int err = kick_tx(s);
      if (err) {
        js_fail(env, "sendto (TX kick)", err);
        break;
      }
    }
    int reaped = reap_completions(s, owners, txp, fillp, free_stack, &free_count, &fill_room, &to_fill, &to_free);
    if (reaped < 0) {
      frame_violation(env, s->violation_frame, s->violation_found, txp);
      break;
    }
    __u32 still = s->tx.size - xsk_prod_nb_free(&s->tx, s->tx.size);
    bool progress = n > 0 || reaped > 0 || still < outstanding;
    if ((queued == count && still == 0) || !progress || !kick) break;
  }
  // Frames not queued stay the caller's. The counters say what happened, also when an error
  // stopped the rounds: the frames queued before it did go out.
  for (uint32_t i = queued; i < count; i++) owners[descs[2 * i] >> shift] = heldp;
  io[TX_FREE_COUNT] = free_count;
  io[TX_QUEUED] = queued;
  io[TX_LEFT_BATCH] = left_batch;
  io[TX_COMPLETED_FILL] = to_fill;
  io[TX_COMPLETED_FREE] = to_free;
  return js_exception_pending(env) ? NULL : js_number(env, queued);
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

// ---- waiting for frames without blocking the event loop (wait.c) ---------------------------
// deep: after a timeout or a poll error — a socket whose interface was deleted is unbound
// by the kernel, and recvfrom then says so (ENXIO; the socket error is ENETDOWN).
static int socket_probe(void *owner, bool deep) {
  socket_handle *s = owner;
  if (!s->xsk) return 0;
  if (xsk_cons_nb_avail(&s->rx, 1) > 0) return 1;
  if (!deep) return 0;
  int fd = xsk_socket__fd(s->xsk);
  if (recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) return -errno;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) return -err;
  return 0;
}

// waitReadable(socket, timeoutMs, coalesceUs): Promise<number> — 1 when frames are waiting
// (after a coalescing pause of coalesceUs first), 0 on timeout, waitEnd or close, -errno when
// the socket can no longer receive (its interface is gone: -ENXIO or -ENETDOWN).
static napi_value wait_readable(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!js_args(env, info, 3, argv)) return NULL;
  socket_handle *s = open_socket(env, argv[0]);
  int64_t timeout, coalesce;
  if (!s || !js_int(env, argv[1], &timeout) || timeout < 0 || timeout > 60000 || !js_int(env, argv[2], &coalesce) || coalesce < 0 || coalesce > 10000) return js_type_error(env, "waitReadable(socket, timeoutMs 0…60000, coalesceUs 0…10000)");
  if (s->wait && fd_wait_env(s->wait) != env) return js_fail(env, "wait on an AF_XDP socket opened by another thread", EINVAL);
  if (!s->wait && !fd_wait_new(env, xsk_socket__fd(s->xsk), socket_probe, s, &s->wait, "tsxdp.xsk.wait")) return js_fail(env, "wait on the AF_XDP socket (no event loop handles)", EINVAL);
  napi_value promise = fd_wait_start(s->wait, (int)timeout, (int)coalesce);
  return promise ? promise : js_fail(env, "napi_create_promise", ENOMEM);
}

// waitEnd(socket): void — the pending waitReadable, if any, resolves 0 now (an abort)
static napi_value wait_end(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  socket_handle *s = js_external(env, argv[0], &socket_tag);
  if (s && s->wait) fd_wait_end(s->wait);
  return js_undefined(env);
}

// socketDelete(socket): idempotent
static napi_value socket_delete(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!js_args(env, info, 1, argv)) return NULL;
  socket_handle *s = js_external(env, argv[0], &socket_tag);
  if (s) socket_close(s);
  return js_undefined(env);
}

void tsxdp_xsk_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      JS_FUNCTION("socketCreate", socket_create), JS_FUNCTION("socketFd", socket_fd), JS_FUNCTION("socketDelete", socket_delete), JS_FUNCTION("socketStats", socket_stats),
      JS_FUNCTION("socketSetOption", socket_set_option), JS_FUNCTION("fillSubmit", fill_submit), JS_FUNCTION("rxBatch", rx_batch),
      JS_FUNCTION("txBatch", tx_batch), JS_FUNCTION("wakeupRx", wakeup_rx), JS_FUNCTION("waitReadable", wait_readable), JS_FUNCTION("waitEnd", wait_end),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
