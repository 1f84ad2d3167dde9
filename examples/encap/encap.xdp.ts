// IPv4-in-IPv4 tunnel endpoints with adjustHead: `encap` pushes an outer IPv4 header on
// packets to the tunnelled prefix (grow the head by 20 bytes, rewrite Ethernet, write the
// outer header); `decap` pops it from IPIP packets addressed to us. Every view taken before
// adjustHead is stale afterwards, so the headers are taken again (the compiler checks).
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, ETH_P_IP, IPPROTO_IPIP, config,
  htons, htonl, ntohs, ntohl, sizeof, ipv4ChecksumNoOptions, u32,
} from "tsxdp";

/** Tunnel parameters (host order), set from Node before load. */
export const TUNNEL_PREFIX = config<u32>(0x0a640000); // 10.100.0.0
export const TUNNEL_MASK = config<u32>(0xffff0000); // /16
export const LOCAL = config<u32>(0xc0000201); // 192.0.2.1
export const REMOTE = config<u32>(0xc0000202); // 192.0.2.2

export function encap(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const inner = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (inner === null || (ntohl(inner.daddr) & TUNNEL_MASK) !== TUNNEL_PREFIX) return XDP.PASS;
  const innerLength = ntohs(inner.totLen);
  const tos = inner.tos;
  const ttl = inner.ttl;
  // A copy on the stack: eth is stale once the head moves.
  const saved: EthHdr = { dst: eth.dst, src: eth.src, proto: eth.proto };

  if (!ctx.adjustHead(-20)) return XDP.ABORTED;

  const outerEth = ctx.header<EthHdr>(0);
  const outer = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (outerEth === null || outer === null) return XDP.ABORTED;
  outerEth.dst = saved.dst;
  outerEth.src = saved.src;
  outerEth.proto = htons(ETH_P_IP);
  outer.version = 4;
  outer.ihl = 5;
  outer.tos = tos;
  outer.totLen = htons(innerLength + 20);
  outer.id = htons(0);
  outer.fragOff = htons(0x4000);
  outer.ttl = ttl;
  outer.protocol = IPPROTO_IPIP;
  outer.saddr = htonl(LOCAL);
  outer.daddr = htonl(REMOTE);
  outer.check = htons(0);
  outer.check = ipv4ChecksumNoOptions(outer);
  return XDP.TX;
}

export function decap(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const outer = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (outer === null || outer.protocol !== IPPROTO_IPIP || outer.ihl !== 5 || outer.daddr !== htonl(LOCAL)) return XDP.PASS;
  // Move the Ethernet addresses forward over the outer header, then drop 20 bytes.
  const moved = ctx.header<EthHdr>(20);
  if (moved === null) return XDP.PASS;
  const saved: EthHdr = { dst: eth.dst, src: eth.src, proto: htons(ETH_P_IP) };
  moved.dst = saved.dst;
  moved.src = saved.src;
  moved.proto = htons(ETH_P_IP);
  if (!ctx.adjustHead(20)) return XDP.ABORTED;
  return XDP.PASS;
}
