// ipv4Checksum over headers with options (IHL 5 to 15): a router's TTL decrement that
// recomputes the whole header checksum, behind an optional 802.1Q tag so the header's
// offset is a variable (the bounded option loop must verify with either offset).
import { XdpContext, XDP, EthHdr, VlanHdr, Ipv4Hdr, ETH_P_IP, ETH_P_8021Q, htons, sizeof, ipv4Checksum, u32 } from "tsxdp";

export function ttlDecrement(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  let offset: u32 = sizeof<EthHdr>();
  if (eth.proto === htons(ETH_P_8021Q)) {
    const vlan = ctx.header<VlanHdr>(offset);
    if (vlan === null || vlan.encapsulatedProto !== htons(ETH_P_IP)) return XDP.PASS;
    offset += sizeof<VlanHdr>();
  } else if (eth.proto !== htons(ETH_P_IP)) {
    return XDP.PASS;
  }
  const ip = ctx.header<Ipv4Hdr>(offset);
  if (ip === null || ip.version !== 4 || ip.ihl < 5) return XDP.PASS;
  if (ip.ttl <= 1) return XDP.DROP;
  ip.ttl -= 1;
  ip.check = ipv4Checksum(ctx, offset);
  return XDP.TX;
}
