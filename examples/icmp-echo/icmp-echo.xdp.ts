// ICMP echo responder for IPv4 and IPv6: answers pings in XDP. The type changes from
// request to reply; the checksum is updated incrementally (RFC 1624) for that one 16-bit
// word. Swapping the addresses keeps the ICMPv6 pseudo-header sum, so nothing else changes.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, Ipv6Hdr, IcmpHdr, Icmp6Hdr,
  ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMP, IPPROTO_ICMPV6, ICMP_ECHO, ICMP_ECHOREPLY,
  ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY, htons, ntohs, sizeof, log, u8, u16, u32, csumReplace16, FixedArray,
} from "tsxdp";

/** An IPv6 address on the stack (C's struct in6_addr): assigning arrays copies their bytes. */
interface In6Addr {
  bytes: FixedArray<u8, 16>;
}

function swapMacs(eth: EthHdr): void {
  for (let i = 0; i < 6; i++) {
    const b = eth.dst[i];
    eth.dst[i] = eth.src[i];
    eth.src[i] = b;
  }
}

function replyIpv4(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_ICMP) return XDP.PASS;
  const icmp = ctx.header<IcmpHdr>(sizeof<EthHdr>() + u32(ip.ihl) * 4);
  if (icmp === null || icmp.type !== ICMP_ECHO || icmp.code !== 0) return XDP.PASS;
  const addr = ip.saddr;
  ip.saddr = ip.daddr;
  ip.daddr = addr;
  icmp.type = ICMP_ECHOREPLY;
  log.debug("echo reply to {:ipv4} id {} seq {}", addr, ntohs(icmp.id), ntohs(icmp.sequence));
  icmp.checksum = csumReplace16(icmp.checksum, htons(u16(ICMP_ECHO) << 8), htons(u16(ICMP_ECHOREPLY) << 8));
  return XDP.TX;
}

function replyIpv6(ctx: XdpContext): XDP {
  const ip6 = ctx.header<Ipv6Hdr>(sizeof<EthHdr>());
  if (ip6 === null || ip6.nexthdr !== IPPROTO_ICMPV6) return XDP.PASS;
  const icmp6 = ctx.header<Icmp6Hdr>(sizeof<EthHdr>() + sizeof<Ipv6Hdr>());
  if (icmp6 === null || icmp6.type !== ICMPV6_ECHO_REQUEST || icmp6.code !== 0) return XDP.PASS;
  const saved: In6Addr = { bytes: ip6.saddr };
  ip6.saddr = ip6.daddr;
  ip6.daddr = saved.bytes;
  ip6.hopLimit = 64;
  icmp6.type = ICMPV6_ECHO_REPLY;
  log.debug("echo reply to {:ipv6}", saved.bytes);
  icmp6.cksum = csumReplace16(icmp6.cksum, htons(u16(ICMPV6_ECHO_REQUEST) << 8), htons(u16(ICMPV6_ECHO_REPLY) << 8));
  return XDP.TX;
}

export function icmpEcho(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  let verdict = XDP.PASS;
  if (eth.proto === htons(ETH_P_IP)) verdict = replyIpv4(ctx);
  else if (eth.proto === htons(ETH_P_IPV6)) verdict = replyIpv6(ctx);
  if (verdict !== XDP.TX) return verdict;
  const out = ctx.header<EthHdr>(0);
  if (out === null) return XDP.ABORTED;
  swapMacs(out);
  return XDP.TX;
}
