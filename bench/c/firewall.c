// C twin of examples/firewall/firewall.xdp.ts
#include "common.h"
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4096); __type(key, __be32); __type(value, __u64); } blocklist SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 5); __type(key, __u32); __type(value, __u64); } verdicts SEC(".maps");

static __always_inline int count(__u32 action)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &action);
	if (n)
		*n += 1;
	return action;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return count(XDP_ABORTED);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(XDP_PASS);
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(XDP_ABORTED);
	__u64 *drops = bpf_map_lookup_elem(&blocklist, &ip->saddr);
	if (drops) {
		__sync_fetch_and_add(drops, 1);
		return count(XDP_DROP);
	}
	return count(XDP_PASS);
}
