// C reference AF_XDP receiver (libxdp xsk, copy mode, batch 64, poll mode): counts frames
// on <ifname> queue 0 for <seconds>, then prints JSON with packets and its own CPU time.
// Steering: the same six-instruction redirect program tsxdp's runtime loads.
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>

#define FRAMES 4096
#define FRAME_SIZE 2048
#define BATCH 64

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: xsk_rx <ifname> <seconds>\n"); return 2; }
  const char *ifname = argv[1];
  double seconds = atof(argv[2]);
  int ifindex = if_nametoindex(ifname);
  void *area = mmap(NULL, FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct xsk_ring_prod fill; struct xsk_ring_cons comp, rx; struct xsk_ring_prod tx;
  struct xsk_umem *umem;
  struct xsk_umem_config ucfg = { .fill_size = 2048, .comp_size = 2048, .frame_size = FRAME_SIZE };
  if (xsk_umem__create(&umem, area, FRAMES * FRAME_SIZE, &fill, &comp, &ucfg)) { perror("umem"); return 1; }
  struct xsk_socket *xsk;
  struct xsk_socket_config scfg = { .rx_size = 2048, .tx_size = 2048, .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, .bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP };
  if (xsk_socket__create(&xsk, ifname, 0, umem, &rx, &tx, &scfg)) { perror("xsk"); return 1; }
  int map = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "xsks", 4, 4, 64, NULL);
  int key = 0, fd = xsk_socket__fd(xsk);
  bpf_map_update_elem(map, &key, &fd, 0);
  struct bpf_insn insns[] = {
    { .code = 0x61, .dst_reg = 2, .src_reg = 1, .off = 16 },
    { .code = 0x18, .dst_reg = 1, .src_reg = 1, .imm = map }, { 0 },
    { .code = 0xb7, .dst_reg = 3, .imm = 2 },
    { .code = 0x85, .imm = 51 },
    { .code = 0x95 },
  };
  int prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "xsk_rx", "GPL", insns, 6, NULL);
  if (prog < 0 || bpf_link_create(prog, ifindex, BPF_XDP, NULL) < 0) { perror("program"); return 1; }
  __u32 idx;
  __u32 n = xsk_ring_prod__reserve(&fill, 2048, &idx);
  for (__u32 i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill, idx + i) = (__u64)i * FRAME_SIZE;
  xsk_ring_prod__submit(&fill, n);
  printf("{\"ready\": true}\n");
  fflush(stdout);
  long packets = 0;
  double start = now();
  struct rusage r0; getrusage(RUSAGE_SELF, &r0);
  struct pollfd p = { .fd = fd, .events = POLLIN };
  while (now() - start < seconds) {
    __u32 got = xsk_ring_cons__peek(&rx, BATCH, &idx);
    if (!got) {
      if (xsk_ring_prod__needs_wakeup(&fill)) recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
      poll(&p, 1, 50);
      continue;
    }
    __u32 fidx;
    while (xsk_ring_prod__reserve(&fill, got, &fidx) != got) {}
    for (__u32 i = 0; i < got; i++) {
      const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx + i);
      volatile __u8 first = ((__u8 *)area)[d->addr]; (void)first;
      *xsk_ring_prod__fill_addr(&fill, fidx + i) = d->addr - (d->addr % FRAME_SIZE);
    }
    xsk_ring_prod__submit(&fill, got);
    xsk_ring_cons__release(&rx, got);
    packets += got;
  }
  struct rusage r1; getrusage(RUSAGE_SELF, &r1);
  double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 + (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  printf("{\"done\": true, \"packets\": %ld, \"seconds\": %.3f, \"cpuSeconds\": %.4f}\n", packets, now() - start, cpu);
  return 0;
}
