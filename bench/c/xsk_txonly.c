// C reference AF_XDP sender (libxdp xsk, copy mode): every frame of the UMEM filled once
// with the frame given in hex, then only descriptors — take free frames, submit BATCH at a
// time, kick when the kernel asks, reap completions back to the free stack. Runs <seconds>
// after a short warm-up and prints JSON: frames completed, frames delivered at the far end
// (its XDP counter, map id <counterMapId>), its own user and system CPU time.
//   xsk_txonly <ifname> <seconds> <counterMapId> <frame hex>
#include "xsk_common.h"

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: xsk_txonly <ifname> <seconds> <counterMapId> <frame hex>\n"); return 2; }
  const char *ifname = argv[1];
  double seconds = atof(argv[2]);
  xsk_window w = {.counter_fd = bpf_map_get_fd_by_id(atoi(argv[3]))};
  size_t len = strlen(argv[4]) / 2;
  static xsk_setup x;
  int err = xsk_open(&x, ifname);
  if (err) { fprintf(stderr, "xsk: %s\n", strerror(-err)); return 1; }
  unsigned char frame[FRAME_SIZE];
  for (size_t i = 0; i < len; i++) sscanf(argv[4] + 2 * i, "%2hhx", &frame[i]);
  static __u64 free_stack[FRAMES];
  int free_count = 0;
  for (int i = FRAMES - 1; i >= 0; i--) {
    memcpy((char *)x.area + (size_t)i * FRAME_SIZE, frame, len);
    free_stack[free_count++] = (__u64)i * FRAME_SIZE;
  }
  printf("{\"ready\": true}\n");
  fflush(stdout);
  long long completed = 0;
  double start = now(), warm = 0.3;
  int measuring = 0;
  for (;;) {
    double t = now();
    if (!measuring && t - start >= warm) {
      measuring = 1;
      window_open(&w, completed);
    }
    if (measuring && t - w.t0 >= seconds) break;
    __u32 idx;
    __u32 want = free_count < BATCH ? free_count : BATCH;
    __u32 n = want ? xsk_ring_prod__reserve(&x.tx, want, &idx) : 0;
    for (__u32 i = 0; i < n; i++) {
      struct xdp_desc *d = xsk_ring_prod__tx_desc(&x.tx, idx + i);
      d->addr = free_stack[--free_count];
      d->len = len;
      d->options = 0;
    }
    xsk_ring_prod__submit(&x.tx, n);
    kick_tx(&x);
    __u32 cidx;
    __u32 done = xsk_ring_cons__peek(&x.comp, RING_SIZE, &cidx);
    for (__u32 i = 0; i < done; i++) free_stack[free_count++] = *xsk_ring_cons__comp_addr(&x.comp, cidx + i);
    xsk_ring_cons__release(&x.comp, done);
    completed += done;
  }
  window_print(&w, completed);
  return 0;
}
