// C reference for the map benchmark: the same syscalls Node makes (single update/lookup,
// then batch update/lookup), on a u32 -> u64 hash map. Prints JSON ops/s.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bench", 4, 8, 131072, NULL);
  if (fd < 0) { perror("bpf_map_create"); return 1; }
  double t0 = now();
  for (__u32 i = 0; i < (__u32)n; i++) { __u64 v = i; bpf_map_update_elem(fd, &i, &v, 0); }
  double t1 = now();
  for (__u32 i = 0; i < (__u32)n; i++) { __u64 v; bpf_map_lookup_elem(fd, &i, &v); }
  double t2 = now();
  __u32 *keys = malloc(n * 4);
  __u64 *values = malloc(n * 8);
  for (int i = 0; i < n; i++) { keys[i] = i + n; values[i] = i; }
  double t3 = now();
  for (int off = 0; off < n; off += 4096) {
    __u32 count = n - off < 4096 ? n - off : 4096;
    bpf_map_update_batch(fd, keys + off, values + off, &count, NULL);
  }
  double t4 = now();
  __u64 cursor = 0, *in = NULL;
  long total = 0;
  for (;;) {
    __u32 count = 4096;
    int err = bpf_map_lookup_batch(fd, in, &cursor, keys, values, &count, NULL);
    total += count;
    in = &cursor;
    if (err) break;
  }
  double t5 = now();
  printf("{\"set\": %.0f, \"get\": %.0f, \"setMany\": %.0f, \"dump\": %.0f, \"dumped\": %ld}\n", n / (t1 - t0), n / (t2 - t1), n / (t4 - t3), total / (t5 - t4), total);
  return 0;
}
