// C twin of examples/conntrack/conntrack.xdp.ts
#include "common.h"
struct flow_key { __be32 saddr, daddr; __be16 sport, dport; __u8 proto; };
struct flow { __u64 packets, bytes, first_seen, last_seen; __u8 state; };
enum { NONE, SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSING, CLOSED };
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 65536); __type(key, struct flow_key); __type(value, struct flow); } flows SEC(".maps");

static __always_inline __u8 next_state(__u8 state, __u32 syn, __u32 ack, __u32 fin, __u32 rst)
{
	if (rst) return CLOSED;
	if (fin) return state == CLOSING ? CLOSED : CLOSING;
	if (syn) return ack ? SYN_RECEIVED : SYN_SENT;
	if (ack && (state == SYN_SENT || state == SYN_RECEIVED)) return ESTABLISHED;
	return state;
}

SEC("xdp")
int conntrack(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	void *l4 = (void *)ip + ip->ihl * 4;
	/* Zeroed first, padding included: the hash covers all 16 bytes (the .xdp.ts literal
	 * is zero-filled by the language). A designated initializer leaves the padding
	 * unspecified, and clang leaves it uninitialised. */
	struct flow_key key = {};
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;
	__u32 syn = 0, ack = 0, fin = 0, rst = 0;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		key.sport = tcp->source;
		key.dport = tcp->dest;
		syn = tcp->syn; ack = tcp->ack; fin = tcp->fin; rst = tcp->rst;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		key.sport = udp->source;
		key.dport = udp->dest;
	} else {
		return XDP_PASS;
	}
	__u64 now = bpf_ktime_get_ns();
	__u64 len = data_end - data;
	struct flow *f = bpf_map_lookup_elem(&flows, &key);
	if (!f) {
		struct flow fresh = {};
		fresh.packets = 1;
		fresh.bytes = len;
		fresh.first_seen = now;
		fresh.last_seen = now;
		fresh.state = next_state(NONE, syn, ack, fin, rst);
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
		return XDP_PASS;
	}
	__sync_fetch_and_add(&f->packets, 1);
	__sync_fetch_and_add(&f->bytes, len);
	f->last_seen = now;
	if (ip->protocol == IPPROTO_TCP)
		f->state = next_state(f->state, syn, ack, fin, rst);
	return XDP_PASS;
}
