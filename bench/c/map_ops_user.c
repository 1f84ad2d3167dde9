// C reference for the map benchmark: the same syscalls Node makes, in the same order, on the
// same map. It opens and loads the very object the Node side loaded (argv[2], map argv[3]),
// so both sides work on identical maps (type, key/value size, max entries, flags, BTF).
// Rows: single update / lookup; batch update (4096 per call), batch lookup (4096 per call),
// lookups of many keys (one syscall per key: the kernel has no lookup-by-keys batch), one
// batch delete. The sequence ends with an empty map, so it runs ROUNDS times and the best
// round of each row counts (the Node side does the same). Prints JSON ops/s.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define CHUNK 4096
#define WARMUP 1000

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s N OBJECT MAP ROUNDS\n", argv[0]); return 2; }
  int n = atoi(argv[1]);
  int rounds = atoi(argv[4]);
  struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
  if (!obj || bpf_object__load(obj)) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
  int fd = bpf_object__find_map_fd_by_name(obj, argv[3]);
  if (fd < 0) { fprintf(stderr, "no map %s\n", argv[3]); return 1; }

  __u32 *keys = malloc(2 * n * 4);
  __u64 *values = malloc(2 * n * 8);
  __u32 *dump_keys = malloc(CHUNK * 4);
  __u64 *dump_values = malloc(CHUNK * 8);
  double best[6] = {0};
  long total = 0, found = 0;
  __u32 deleted = 0;
  // The same warm-up as the Node side: keys outside the measured range, removed again.
  for (__u32 i = 0; i < WARMUP; i++) { __u32 k = 4 * n + i; __u64 v = i; bpf_map_update_elem(fd, &k, &v, 0); bpf_map_lookup_elem(fd, &k, &v); bpf_map_delete_elem(fd, &k); }

  for (int round = 0; round < rounds; round++) {
  double t0 = now();
  for (__u32 i = 0; i < (__u32)n; i++) { __u64 v = i; bpf_map_update_elem(fd, &i, &v, 0); }
  double t1 = now();
  for (__u32 i = 0; i < (__u32)n; i++) { __u64 v; bpf_map_lookup_elem(fd, &i, &v); }
  double t2 = now();

  for (int i = 0; i < n; i++) { keys[i] = i + n; values[i] = i; }
  double t3 = now();
  for (int off = 0; off < n; off += CHUNK) {
    __u32 count = n - off < CHUNK ? n - off : CHUNK;
    bpf_map_update_batch(fd, keys + off, values + off, &count, NULL);
  }
  double t4 = now();

  __u64 cursor_a = 0, cursor_b = 0, *in = NULL, *out = &cursor_a;
  total = 0;
  for (;;) {
    __u32 count = CHUNK;
    int err = bpf_map_lookup_batch(fd, in, out, dump_keys, dump_values, &count, NULL);
    total += count;
    if (err) break;
    in = out;
    out = out == &cursor_a ? &cursor_b : &cursor_a;
  }
  double t5 = now();

  for (int i = 0; i < n; i++) keys[i] = i;
  found = 0;
  double t6 = now();
  for (int i = 0; i < n; i++) if (bpf_map_lookup_elem(fd, &keys[i], &values[i]) == 0) found++;
  double t7 = now();

  for (int i = 0; i < 2 * n; i++) keys[i] = i;
  double t8 = now();
  deleted = 2 * n;
  int err = bpf_map_delete_batch(fd, keys, &deleted, NULL);
  double t9 = now();
  if (err && errno != ENOENT) { perror("bpf_map_delete_batch"); return 1; }
  double rates[6] = {n / (t1 - t0), n / (t2 - t1), n / (t4 - t3), total / (t5 - t4), n / (t7 - t6), deleted / (t9 - t8)};
  for (int i = 0; i < 6; i++) if (rates[i] > best[i]) best[i] = rates[i];
  }

  printf("{\"set\": %.0f, \"get\": %.0f, \"setMany\": %.0f, \"dump\": %.0f, \"getMany\": %.0f, \"deleteMany\": %.0f, \"dumped\": %ld, \"found\": %ld, \"deleted\": %u}\n",
         best[0], best[1], best[2], best[3], best[4], best[5], total, found, deleted);
  bpf_object__close(obj);
  return 0;
}
