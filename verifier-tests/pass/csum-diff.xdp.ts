// csumDiff (bpf_csum_diff): a router's TTL decrement that recomputes the IPv4 header
// checksum from scratch with the kernel helper (check zeroed, then the sum of the 20-byte
// header view), and a NAT-style destination rewrite that updates the checksum
// incrementally: csumDiff from the old address to the new one, seeded with the old check.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, ETH_P_IP, csumDiff, csumDiffFold, htons, htonl, ntohs, sizeof,
  be32, u16, u32,
} from "tsxdp";

interface Address {
  addr: be32;
}

/** 198.51.100.1 in host order: the rewritten destination. */
const NEW_DADDR = 0xc6336401;

function ipv4Of(ctx: XdpContext): Ipv4Hdr | null {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return null;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.ihl !== 5) return null;
  return ip;
}

export function ttlFull(ctx: XdpContext): XDP {
  const ip = ipv4Of(ctx);
  if (ip === null) return XDP.PASS;
  if (ip.ttl <= 1) return XDP.DROP;
  ip.ttl -= 1;
  ip.check = htons(0);
  const sum = csumDiff(null, 0, ip, sizeof<Ipv4Hdr>(), 0);
  if (sum < 0) return XDP.ABORTED;
  ip.check = csumDiffFold(sum);
  return XDP.TX;
}

export function rewriteIncremental(ctx: XdpContext): XDP {
  const ip = ipv4Of(ctx);
  if (ip === null) return XDP.PASS;
  const from: Address = { addr: ip.daddr };
  const to: Address = { addr: htonl(NEW_DADDR) };
  // The seed is the old header sum (~check) in the helper's (load) byte order.
  const check = ntohs(ip.check);
  const seed: u32 = u32(u16(~check) >> 8) | (u32(u16(~check) & 0xff) << 8);
  const sum = csumDiff(from, 4, to, 4, seed);
  if (sum < 0) return XDP.ABORTED;
  ip.daddr = to.addr;
  ip.check = csumDiffFold(sum);
  return XDP.TX;
}
