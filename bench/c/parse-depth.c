// C twin of examples/parse-depth/parse-depth.xdp.ts
#include "common.h"
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 256); __type(key, __be16); __type(value, __u8); } blockedPorts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } seen SEC(".maps");
enum { SEEN_VLAN, SEEN_IPV4, SEEN_IPV6, SEEN_PORTS };

static __always_inline void count(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&seen, &what);
	if (n)
		*n += 1;
}

SEC("xdp")
int portFilter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__be16 proto = eth->h_proto;
	__u32 offset = sizeof(*eth);
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vlan = data + offset;
		if ((void *)(vlan + 1) > data_end)
			return XDP_PASS;
		count(SEEN_VLAN);
		proto = vlan->h_vlan_encapsulated_proto;
		offset += sizeof(*vlan);
	}
	__u8 l4proto;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + offset;
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_PASS;
		count(SEEN_IPV4);
		l4proto = ip->protocol;
		offset += ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + offset;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		count(SEEN_IPV6);
		l4proto = ip6->nexthdr;
		offset += sizeof(*ip6);
	} else {
		return XDP_PASS;
	}
	if (l4proto != IPPROTO_TCP && l4proto != IPPROTO_UDP)
		return XDP_PASS;
	struct udphdr *ports = data + offset;
	if ((void *)(ports + 1) > data_end)
		return XDP_PASS;
	count(SEEN_PORTS);
	return bpf_map_lookup_elem(&blockedPorts, &ports->dest) ? XDP_DROP : XDP_PASS;
}
