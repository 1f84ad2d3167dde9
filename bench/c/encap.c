// C twin of examples/encap/encap.xdp.ts (encap benchmarked)
#include "common.h"
const volatile __u32 TUNNEL_PREFIX = 0x0a640000;
const volatile __u32 TUNNEL_MASK = 0xffff0000;
const volatile __u32 LOCAL = 0xc0000201;
const volatile __u32 REMOTE = 0xc0000202;

SEC("xdp")
int encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *inner = (void *)(eth + 1);
	if ((void *)(inner + 1) > data_end || (bpf_ntohl(inner->daddr) & TUNNEL_MASK) != TUNNEL_PREFIX)
		return XDP_PASS;
	__u16 inner_len = bpf_ntohs(inner->tot_len);
	__u8 tos = inner->tos, ttl = inner->ttl;
	struct ethhdr saved = *eth;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	struct iphdr *outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(eth->h_dest, saved.h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_source, saved.h_source, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + 20);
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000);
	outer->ttl = ttl;
	outer->protocol = IPPROTO_IPIP;
	outer->saddr = bpf_htonl(LOCAL);
	outer->daddr = bpf_htonl(REMOTE);
	outer->check = 0;
	outer->check = ipv4_checksum(outer);
	return XDP_TX;
}
