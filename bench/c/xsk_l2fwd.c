// C reference AF_XDP forwarder (libxdp xsk, copy mode), the l2fwd of the AF_XDP literature:
// receive a batch, swap each frame's MACs in place, transmit the same UMEM frames; completed
// frames go back to the fill ring. Measures <seconds> from the first frame on and prints
// JSON: frames forwarded, frames delivered at the far end (its XDP counter, map id
// <counterMapId>), its own user and system CPU time.
//   xsk_l2fwd <ifname> <seconds> <counterMapId>
#include "xsk_common.h"

static void swap_macs(unsigned char *p) {
  unsigned char t[6];
  memcpy(t, p, 6);
  memcpy(p, p + 6, 6);
  memcpy(p + 6, t, 6);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: xsk_l2fwd <ifname> <seconds> <counterMapId>\n"); return 2; }
  const char *ifname = argv[1];
  double seconds = atof(argv[2]);
  xsk_window w = {.counter_fd = bpf_map_get_fd_by_id(atoi(argv[3]))};
  static xsk_setup x;
  int err = xsk_open_receiver(&x, ifname);
  if (err) { fprintf(stderr, "xsk: %s\n", strerror(-err)); return 1; }
  __u32 idx;
  printf("{\"ready\": true}\n");
  fflush(stdout);
  long long forwarded = 0;
  double first = 0, warm = 0.3, deadline = now() + 30;
  int measuring = 0;
  struct pollfd p = {.fd = x.fd, .events = POLLIN};
  for (;;) {
    double t = now();
    if (!first && forwarded) first = t;
    if (first && !measuring && t - first >= warm) {
      measuring = 1;
      window_open(&w, forwarded);
    }
    if ((measuring && t - w.t0 >= seconds) || t > deadline) break;
    // Completed frames return to the fill ring.
    __u32 cidx;
    __u32 done = xsk_ring_cons__peek(&x.comp, RING_SIZE, &cidx);
    if (done) {
      __u32 fidx;
      while (xsk_ring_prod__reserve(&x.fill, done, &fidx) != done) {}
      for (__u32 i = 0; i < done; i++) *xsk_ring_prod__fill_addr(&x.fill, fidx + i) = *xsk_ring_cons__comp_addr(&x.comp, cidx + i);
      xsk_ring_prod__submit(&x.fill, done);
      xsk_ring_cons__release(&x.comp, done);
    }
    __u32 got = xsk_ring_cons__peek(&x.rx, BATCH, &idx);
    if (!got) {
      if (xsk_ring_prod__needs_wakeup(&x.fill)) recvfrom(x.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
      kick_tx(&x);  // frames still on the TX ring go out with a kick
      poll(&p, 1, 10);
      continue;
    }
    __u32 tidx;
    while (xsk_ring_prod__reserve(&x.tx, got, &tidx) != got) kick_tx(&x);
    for (__u32 i = 0; i < got; i++) {
      const struct xdp_desc *in = xsk_ring_cons__rx_desc(&x.rx, idx + i);
      swap_macs((unsigned char *)x.area + in->addr);
      struct xdp_desc *out = xsk_ring_prod__tx_desc(&x.tx, tidx + i);
      out->addr = in->addr;
      out->len = in->len;
      out->options = 0;
    }
    xsk_ring_prod__submit(&x.tx, got);
    xsk_ring_cons__release(&x.rx, got);
    kick_tx(&x);
    forwarded += got;
  }
  window_print(&w, forwarded);
  return 0;
}
