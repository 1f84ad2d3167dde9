// Shared set-up of the C AF_XDP references (xsk_rx.c, xsk_txonly.c, xsk_l2fwd.c): the same
// UMEM and ring sizes as the Node side (4096 frames of 2048 bytes, rings of 2048, copy mode,
// need_wakeup), tsxdp's six-instruction redirect program for receiving, CPU time from
// getrusage, and the far end's XDP counter read by map id (bench/xsk.ts loads it).
#pragma once
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>

#define FRAMES 4096
#define FRAME_SIZE 2048
#define RING_SIZE 2048
#define BATCH 64

static inline double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

// CPU seconds of this process so far, user and system apart.
static inline void cpu_seconds(double *user, double *system) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  *user = r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
  *system = r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

typedef struct {
  void *area;
  struct xsk_umem *umem;
  struct xsk_socket *xsk;
  // Zeroed (static storage below): libxdp 1.3 leaves the fill ring's cached producer and
  // both cached indexes of the completion ring uninitialised.
  struct xsk_ring_prod fill, tx;
  struct xsk_ring_cons comp, rx;
  int fd;
} xsk_setup;

static inline int xsk_open(xsk_setup *x, const char *ifname) {
  memset(x, 0, sizeof *x);
  x->area = mmap(NULL, FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (x->area == MAP_FAILED) return -errno;
  struct xsk_umem_config ucfg = {.fill_size = RING_SIZE, .comp_size = RING_SIZE, .frame_size = FRAME_SIZE};
  int err = xsk_umem__create(&x->umem, x->area, FRAMES * FRAME_SIZE, &x->fill, &x->comp, &ucfg);
  if (err) return err;
  struct xsk_socket_config scfg = {.rx_size = RING_SIZE, .tx_size = RING_SIZE, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, .bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP};
  err = xsk_socket__create(&x->xsk, ifname, 0, x->umem, &x->rx, &x->tx, &scfg);
  if (err) return err;
  x->fd = xsk_socket__fd(x->xsk);
  return 0;
}

// Steers queue 0's traffic into the socket: the program tsxdp's runtime loads by default.
static inline int xsk_redirect_here(xsk_setup *x, const char *ifname) {
  int map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "xsks", 4, 4, 64, NULL);
  int key = 0;
  if (map < 0 || bpf_map_update_elem(map, &key, &x->fd, 0)) return -errno;
  struct bpf_insn insns[] = {
    { .code = 0x61, .dst_reg = 2, .src_reg = 1, .off = 16 },
    { .code = 0x18, .dst_reg = 1, .src_reg = 1, .imm = map }, { 0 },
    { .code = 0xb7, .dst_reg = 3, .imm = 2 },
    { .code = 0x85, .imm = 51 },
    { .code = 0x95 },
  };
  int prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "xsk_redirect", "GPL", insns, 6, NULL);
  if (prog < 0 || bpf_link_create(prog, if_nametoindex(ifname), BPF_XDP, NULL) < 0) return -errno;
  return 0;
}

// The far end's count of frames that arrived (an ARRAY map with one u64, found by id).
static inline long long far_end_count(int map_fd) {
  __u32 key = 0;
  __u64 value = 0;
  if (map_fd >= 0) bpf_map_lookup_elem(map_fd, &key, &value);
  return (long long)value;
}

// A receiving socket on <ifname> queue 0: the redirect program attached, and the first
// RING_SIZE frames on the fill ring (the other half of the UMEM is for frames in flight on TX).
static inline int xsk_open_receiver(xsk_setup *x, const char *ifname) {
  int err = xsk_open(x, ifname);
  if (!err) err = xsk_redirect_here(x, ifname);
  if (err) return err;
  __u32 idx;
  __u32 n = xsk_ring_prod__reserve(&x->fill, RING_SIZE, &idx);
  for (__u32 i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&x->fill, idx + i) = (__u64)i * FRAME_SIZE;
  xsk_ring_prod__submit(&x->fill, n);
  return 0;
}

// The measuring window of a sender or forwarder: opened after the warm-up, closed and
// printed as JSON at the end (frames it sent, frames delivered at the far end, its CPU).
typedef struct {
  int counter_fd;
  double t0, user0, system0;
  long long frames0, delivered0;
} xsk_window;

static inline void window_open(xsk_window *w, long long frames) {
  w->t0 = now();
  w->frames0 = frames;
  w->delivered0 = far_end_count(w->counter_fd);
  cpu_seconds(&w->user0, &w->system0);
}

static inline void window_print(const xsk_window *w, long long frames) {
  double t1 = now(), user1, system1;
  cpu_seconds(&user1, &system1);
  long long delivered = far_end_count(w->counter_fd) - w->delivered0;
  printf("{\"done\": true, \"frames\": %lld, \"delivered\": %lld, \"seconds\": %.4f, \"user\": %.4f, \"system\": %.4f}\n", frames - w->frames0, delivered, t1 - w->t0, user1 - w->user0, system1 - w->system0);
}

static inline void kick_tx(xsk_setup *x) {
  if (xsk_ring_prod__needs_wakeup(&x->tx)) sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
}
