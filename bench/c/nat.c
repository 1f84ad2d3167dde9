// C twin of examples/nat/nat.xdp.ts (the dnat direction is benchmarked): rewrite, then
// forward by the FIB to one of the NAT's interfaces, else pass to the stack.
#include "common.h"
#define AF_INET 2
struct endpoint { __be32 addr; __be16 port; __u8 proto; };
struct target { __be32 addr; __be16 port; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, struct endpoint); __type(value, struct target); } rules SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024); __type(key, struct endpoint); __type(value, struct target); } reverse SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u8); } interfaces SEC(".maps");

static __always_inline int forward(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ttl <= 1)
		return XDP_PASS;
	struct bpf_fib_lookup fib = {};
	fib.family = AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = ctx->ingress_ifindex;
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	__u32 egress = fib.ifindex;
	if (!bpf_map_lookup_elem(&interfaces, &egress))
		return XDP_PASS;
	__be16 before = bpf_htons((ip->ttl << 8) | ip->protocol);
	ip->ttl -= 1;
	ip->check = csum_replace16(ip->check, before, bpf_htons((ip->ttl << 8) | ip->protocol));
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

static __always_inline int rewrite(struct xdp_md *ctx, bool destination)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 1) > data_end)
		return XDP_PASS;
	struct endpoint key = {};
	key.addr = destination ? ip->daddr : ip->saddr;
	key.port = destination ? ports->dest : ports->source;
	key.proto = ip->protocol;
	struct target *t = bpf_map_lookup_elem(destination ? (void *)&rules : (void *)&reverse, &key);
	if (!t)
		return XDP_PASS;
	ip->check = csum_replace32(ip->check, key.addr, t->addr);
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)ports;
		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		tcp->check = csum_replace16(csum_replace32(tcp->check, key.addr, t->addr), key.port, t->port);
	} else if (ports->check) {
		ports->check = csum_replace16(csum_replace32(ports->check, key.addr, t->addr), key.port, t->port);
	}
	if (destination) {
		ip->daddr = t->addr;
		ports->dest = t->port;
	} else {
		ip->saddr = t->addr;
		ports->source = t->port;
	}
	return forward(ctx);
}

SEC("xdp") int dnat(struct xdp_md *ctx) { return rewrite(ctx, true); }
SEC("xdp") int snat(struct xdp_md *ctx) { return rewrite(ctx, false); }
