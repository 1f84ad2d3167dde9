// C twin of examples/icmp-echo/icmp-echo.xdp.ts
#include "common.h"
static __always_inline int reply_ipv4(void *data, void *data_end)
{
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_ICMP)
		return XDP_PASS;
	struct icmphdr *icmp = (void *)ip + ip->ihl * 4;
	if ((void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO || icmp->code != 0)
		return XDP_PASS;
	__be32 addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = csum_replace16(icmp->checksum, bpf_htons(ICMP_ECHO << 8), bpf_htons(ICMP_ECHOREPLY << 8));
	return XDP_TX;
}

static __always_inline int reply_ipv6(void *data, void *data_end)
{
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_ICMPV6)
		return XDP_PASS;
	struct icmp6hdr *icmp6 = (void *)(ip6 + 1);
	if ((void *)(icmp6 + 1) > data_end || icmp6->icmp6_type != ICMPV6_ECHO_REQUEST || icmp6->icmp6_code != 0)
		return XDP_PASS;
	struct in6_addr addr = ip6->saddr;
	ip6->saddr = ip6->daddr;
	ip6->daddr = addr;
	ip6->hop_limit = 64;
	icmp6->icmp6_type = ICMPV6_ECHO_REPLY;
	icmp6->icmp6_cksum = csum_replace16(icmp6->icmp6_cksum, bpf_htons(ICMPV6_ECHO_REQUEST << 8), bpf_htons(ICMPV6_ECHO_REPLY << 8));
	return XDP_TX;
}

SEC("xdp")
int icmpEcho(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	int verdict = XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		verdict = reply_ipv4(data, data_end);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		verdict = reply_ipv6(data, data_end);
	if (verdict != XDP_TX)
		return verdict;
	for (int i = 0; i < ETH_ALEN; i++) {
		__u8 b = eth->h_dest[i];
		eth->h_dest[i] = eth->h_source[i];
		eth->h_source[i] = b;
	}
	return XDP_TX;
}
