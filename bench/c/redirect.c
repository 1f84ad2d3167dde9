// C twin of examples/redirect/redirect.xdp.ts (router benchmarked)
#include "common.h"
#define AF_INET 2
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 64); __uint(key_size, 4); __uint(value_size, 4); } ports SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 64); __uint(key_size, 4); __uint(value_size, 4); } sockets SEC(".maps");
const volatile __u16 SOCKET_PORT = 4789;

SEC("xdp") int l2fwd(struct xdp_md *ctx) { return bpf_redirect_map(&ports, ctx->ingress_ifindex, XDP_PASS); }

SEC("xdp")
int toSocket(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end || bpf_ntohs(udp->dest) != SOCKET_PORT)
		return XDP_PASS;
	return bpf_redirect_map(&sockets, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
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
	__be16 before = bpf_htons((ip->ttl << 8) | ip->protocol);
	ip->ttl -= 1;
	ip->check = csum_replace16(ip->check, before, bpf_htons((ip->ttl << 8) | ip->protocol));
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}
