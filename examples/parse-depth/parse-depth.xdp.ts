// A port filter that finds the TCP/UDP destination port under any of: no VLAN, one 802.1Q
// tag, a double (802.1AD + 802.1Q) tag, IPv4 with options (variable header length), IPv6.
// Ports listed in `blockedPorts` are dropped; `seen` counts what was parsed, per layer.
import {
  XdpContext, XDP, HashMap, PerCpuArray, EthHdr, VlanHdr, Ipv4Hdr, Ipv6Hdr, UdpHdr,
  ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q, ETH_P_8021AD, IPPROTO_TCP, IPPROTO_UDP,
  htons, sizeof, be16, u8, u32, u64,
  log,
} from "tsxdp";

export const enum Seen { Vlan = 0, Ipv4 = 1, Ipv6 = 2, Ports = 3 }

/** Destination ports (network order) to drop → 1. */
export const blockedPorts = new HashMap<be16, u8>({ maxEntries: 256 });
export const seen = new PerCpuArray<u64>({ maxEntries: 4 });

function count(what: Seen): void {
  const n = seen.lookup(what);
  if (n !== null) n.value += 1;
}

export function portFilter(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  let proto = eth.proto;
  let offset: u32 = sizeof<EthHdr>();
  // At most two tags: an outer 802.1AD (or 802.1Q) and an inner 802.1Q.
  for (let i = 0; i < 2; i++) {
    if (proto !== htons(ETH_P_8021Q) && proto !== htons(ETH_P_8021AD)) break;
    const vlan = ctx.header<VlanHdr>(offset);
    if (vlan === null) return XDP.PASS;
    count(Seen.Vlan);
    proto = vlan.encapsulatedProto;
    offset += sizeof<VlanHdr>();
  }

  let l4Proto: u8 = 0;
  if (proto === htons(ETH_P_IP)) {
    const ip = ctx.header<Ipv4Hdr>(offset);
    if (ip === null || ip.ihl < 5) return XDP.PASS;
    count(Seen.Ipv4);
    l4Proto = ip.protocol;
    offset += u32(ip.ihl) * 4;
  } else if (proto === htons(ETH_P_IPV6)) {
    const ip6 = ctx.header<Ipv6Hdr>(offset);
    if (ip6 === null) return XDP.PASS;
    count(Seen.Ipv6);
    l4Proto = ip6.nexthdr;
    offset += sizeof<Ipv6Hdr>();
  } else {
    return XDP.PASS;
  }
  if (l4Proto !== IPPROTO_TCP && l4Proto !== IPPROTO_UDP) return XDP.PASS;

  // TCP and UDP both start with the source and destination ports.
  const ports = ctx.header<UdpHdr>(offset);
  if (ports === null) return XDP.PASS;
  count(Seen.Ports);
  if (blockedPorts.lookup(ports.dest) === null) return XDP.PASS;
  log.info("dropped port {}", ports.dest);
  return XDP.DROP;
}
