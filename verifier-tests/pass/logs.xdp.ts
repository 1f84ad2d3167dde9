// log.*: every placeholder kind and argument type, a helper's log attributed to each
// program that calls it, levels, and braces; the cases assert the exact lines.
import { XdpContext, XDP, EthHdr, Ipv4Hdr, Ipv6Hdr, UdpHdr, ETH_P_IP, ETH_P_IPV6, IPPROTO_UDP, htons, ntohs, sizeof, log, u8, i32 } from "tsxdp";

function hops(ttl: u8): void {
  log.debug("ttl {} hex {:x}", ttl, ttl);
}

export function logs(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  log.info("{:mac} -> {:mac} proto {:x}", eth.src, eth.dst, eth.proto);
  if (eth.proto === htons(ETH_P_IPV6)) {
    const ip6 = ctx.header<Ipv6Hdr>(sizeof<EthHdr>());
    if (ip6 === null) return XDP.ABORTED;
    log.info("v6 {:ipv6} -> {:ipv6}", ip6.saddr, ip6.daddr);
    return XDP.PASS;
  }
  if (eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) {
    log.error("short IPv4 packet: {} bytes", ctx.len);
    return XDP.ABORTED;
  }
  hops(ip.ttl);
  if (ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + sizeof<Ipv4Hdr>());
  if (udp === null) return XDP.ABORTED;
  const delta: i32 = -3;
  log.warn("{{udp}} {:ipv4}:{} -> {:ipv4}:{} len {} delta {} big {} {}", ip.saddr, ntohs(udp.source), ip.daddr, udp.dest, ntohs(udp.len), delta, 1234567890123, ctx.len > 40);
  return XDP.DROP;
}

export function other(ctx: XdpContext): XDP {
  hops(7);
  return XDP.PASS;
}
