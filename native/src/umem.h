// An AF_XDP UMEM (umem.c): its memory, libxdp's handle, and the fill/completion ring pairs
// its sockets bind to (xsk.c makes and drops those).
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <node_api.h>
#include <xdp/xsk.h>

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
  // Zeroed when made (calloc): libxdp 1.3 sets neither the fill ring's cached producer nor
  // the completion ring's cached indexes, and stale ones would hand out frames in flight.
  struct xsk_ring_prod own_fill;
  struct xsk_ring_cons own_comp;
};

// A UMEM's memory has three owners: the JavaScript handle, each socket bound on it, and the
// external ArrayBuffer that shows it to JavaScript. Whichever goes last frees it, so neither
// an explicit close nor the garbage collector (in any order) leaves a mapping behind or
// frees one that is still visible.
typedef struct {
  struct xsk_umem *umem;
  // Rings xsk_umem__create maps (zeroed, see ring_pair); libxdp copies them into the first
  // socket's ring_pair.
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

// The UMEM handle `v` (open or not), or NULL when it is not one.
umem_handle *umem_arg(napi_env env, napi_value v);
// Drops one owner's hold; the last frees the UMEM.
void umem_release(umem_handle *h);
