// Checksum helpers shared by the C twins: the same RFC 1071 / RFC 1624 arithmetic as the
// tsxdp stdlib (csumFold, csumReplace16, csumReplace32, ipv4Checksum), so that both sides
// produce the same bytes.
#ifndef TSXDP_BENCH_CSUM_H
#define TSXDP_BENCH_CSUM_H
#include <linux/types.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for a 16-bit field m -> m'. */
static __always_inline __be16 csum_replace16(__be16 check, __be16 from, __be16 to)
{
	__u32 sum = (~bpf_ntohs(check) & 0xffff) + (~bpf_ntohs(from) & 0xffff) + bpf_ntohs(to);
	return bpf_htons((__u16)~csum_fold(sum));
}

static __always_inline __be16 csum_replace32(__be16 check, __be32 from, __be32 to)
{
	__u32 f = bpf_ntohl(from), t = bpf_ntohl(to);
	__u32 sum = (~bpf_ntohs(check) & 0xffff) + ((~f >> 16) & 0xffff) + (~f & 0xffff) + (t >> 16) + (t & 0xffff);
	return bpf_htons((__u16)~csum_fold(sum));
}

/* Full checksum of a 20-byte IPv4 header (the check field counted as zero). */
static __always_inline __be16 ipv4_checksum(struct iphdr *ip)
{
	__u32 saddr = bpf_ntohl(ip->saddr), daddr = bpf_ntohl(ip->daddr);
	__u32 sum = (ip->version << 12) | (ip->ihl << 8) | ip->tos;
	sum += bpf_ntohs(ip->tot_len) + bpf_ntohs(ip->id) + bpf_ntohs(ip->frag_off);
	sum += (ip->ttl << 8) | ip->protocol;
	sum += (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff);
	return bpf_htons((__u16)~csum_fold(sum));
}
#endif
