// A flow log: one record per IPv4 UDP or TCP packet, sent to Node through a RingBuf.
// A filter (struct configuration, set before load) limits it to one destination port.
import {
  XdpContext, XDP, RingBuf, PerCpuArray, EthHdr, Ipv4Hdr, UdpHdr, config, ktimeGetNs,
  ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, ntohs, sizeof, be16, be32, u8, u16, u64,
} from "tsxdp";

/** What Node receives for each packet (the skeleton types the records from this). */
export interface PacketEvent {
  saddr: be32;
  daddr: be32;
  sport: be16;
  dport: be16;
  protocol: u8;
  ttl: u8;
  /** Frame length, Ethernet header included. */
  len: u16;
  /** ktimeGetNs() when the packet arrived. */
  at: u64;
}

/** Which packets to log: `port` 0 logs every destination port (network order in the kernel). */
export interface Filter {
  port: be16;
  /** 0: log only; otherwise drop what was logged (XDP.DROP). */
  drop: u8;
}

export const events = new RingBuf<PacketEvent>({ maxBytes: 1 << 16 });
/** Records the ring had no room for. */
export const lost = new PerCpuArray<u64>({ maxEntries: 1 });
export const filter = config<Filter>({ port: 0, drop: 0 });

export function flowLog(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.ihl !== 5) return XDP.PASS;
  if (ip.protocol !== IPPROTO_UDP && ip.protocol !== IPPROTO_TCP) return XDP.PASS;
  // TCP and UDP both start with the source and destination ports.
  const l4 = ctx.header<UdpHdr>(sizeof<EthHdr>() + sizeof<Ipv4Hdr>());
  if (l4 === null) return XDP.PASS;
  if (filter.port !== 0 && l4.dest !== filter.port) return XDP.PASS;
  const event: PacketEvent = {
    saddr: ip.saddr, daddr: ip.daddr, sport: l4.source, dport: l4.dest,
    protocol: ip.protocol, ttl: ip.ttl, len: u16(ctx.len), at: ktimeGetNs(),
  };
  if (events.output(event) !== 0) {
    const n = lost.lookup(0);
    if (n !== null) n.value += 1;
  }
  return filter.drop !== 0 ? XDP.DROP : XDP.PASS;
}
