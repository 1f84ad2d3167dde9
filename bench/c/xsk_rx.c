// C reference AF_XDP receiver (libxdp xsk, copy mode, batch 64, poll mode): counts frames
// on <ifname> queue 0 for <seconds>, then prints JSON with packets and its own CPU time.
// Steering: the same six-instruction redirect program tsxdp's runtime loads.
#include "xsk_common.h"

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: xsk_rx <ifname> <seconds>\n"); return 2; }
  const char *ifname = argv[1];
  double seconds = atof(argv[2]);
  static xsk_setup x;
  int err = xsk_open_receiver(&x, ifname);
  if (err) { fprintf(stderr, "xsk: %s\n", strerror(-err)); return 1; }
  __u32 idx;
  printf("{\"ready\": true}\n");
  fflush(stdout);
  long packets = 0;
  double start = now(), u0, s0, u1, s1;
  cpu_seconds(&u0, &s0);
  struct pollfd p = { .fd = x.fd, .events = POLLIN };
  while (now() - start < seconds) {
    __u32 got = xsk_ring_cons__peek(&x.rx, BATCH, &idx);
    if (!got) {
      if (xsk_ring_prod__needs_wakeup(&x.fill)) recvfrom(x.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
      poll(&p, 1, 50);
      continue;
    }
    __u32 fidx;
    while (xsk_ring_prod__reserve(&x.fill, got, &fidx) != got) {}
    for (__u32 i = 0; i < got; i++) {
      const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x.rx, idx + i);
      volatile __u8 first = ((__u8 *)x.area)[d->addr]; (void)first;
      *xsk_ring_prod__fill_addr(&x.fill, fidx + i) = d->addr - (d->addr % FRAME_SIZE);
    }
    xsk_ring_prod__submit(&x.fill, got);
    xsk_ring_cons__release(&x.rx, got);
    packets += got;
  }
  cpu_seconds(&u1, &s1);
  printf("{\"done\": true, \"packets\": %ld, \"seconds\": %.3f, \"cpuSeconds\": %.4f}\n", packets, now() - start, (u1 - u0) + (s1 - s0));
  return 0;
}
