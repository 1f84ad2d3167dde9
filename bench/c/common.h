// Shared includes for the C twins (idiomatic libbpf C, as in xdp-tutorial).
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "csum.h"

// <linux/icmp.h> pulls in libc headers that do not exist for the BPF target.
struct icmphdr { __u8 type; __u8 code; __sum16 checksum; __be16 id; __be16 sequence; };
struct icmp6hdr { __u8 icmp6_type; __u8 icmp6_code; __sum16 icmp6_cksum; __be16 icmp6_identifier; __be16 icmp6_sequence; };
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

char _license[] SEC("license") = "GPL";
