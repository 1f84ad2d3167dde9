// Views at a const variable offset on several paths share one packet pointer (computed where
// the offset is declared, as C's `void *l4 = …` is); an offset the compiler cannot bound
// (from a map) still gets its range check; after adjustHead the same offset is taken
// against the moved packet, not the pointer from before.
//
// Verdicts: TCP to port 80 or UDP to port 53 (through IPv4 options) → DROP; a packet whose
// byte at `probe[0]` (a map value) is 0xee → TX; otherwise PASS. `shift` pops 8 bytes and
// reports the UDP destination port seen at the same offset afterwards in `seen[0]`.
import { XdpContext, XDP, EthHdr, Ipv4Hdr, TcpHdr, UdpHdr, ArrayMap, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, htons, ntohs, sizeof, u8, u32 } from "tsxdp";

export interface Byte {
  value: u8;
}

export const probe = new ArrayMap<u32>({ maxEntries: 1 });
export const seen = new ArrayMap<u32>({ maxEntries: 1 });

export function ports(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  const l4 = sizeof<EthHdr>() + u32(ip.ihl) * 4;
  const at = probe.lookup(0);
  if (at !== null) {
    const b = ctx.header<Byte>(at.value);
    if (b !== null && b.value === 0xee) return XDP.TX;
  }
  if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header<TcpHdr>(l4);
    if (tcp === null) return XDP.PASS;
    return ntohs(tcp.dest) === 80 ? XDP.DROP : XDP.PASS;
  }
  if (ip.protocol === IPPROTO_UDP) {
    const udp = ctx.header<UdpHdr>(l4);
    if (udp === null) return XDP.PASS;
    return ntohs(udp.dest) === 53 ? XDP.DROP : XDP.PASS;
  }
  return XDP.PASS;
}

export function shift(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  const l4 = sizeof<EthHdr>() + u32(ip.ihl) * 4;
  if (!ctx.adjustHead(8)) return XDP.ABORTED;
  const udp = ctx.header<UdpHdr>(l4);
  if (udp === null) return XDP.ABORTED;
  const slot = seen.lookup(0);
  if (slot !== null) slot.value = u32(ntohs(udp.dest));
  return XDP.PASS;
}
