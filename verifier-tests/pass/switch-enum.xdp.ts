// `const enum` values as map keys and switch labels, module-level constants (one computed
// from another), and `switch` on a protocol number with grouped cases and a default.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, Ipv6Hdr, ArrayMap,
  ETH_P_IP, ETH_P_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6,
  htons, sizeof, u8, u64,
} from "tsxdp";

export const enum Kind {
  Tcp = 0,
  Udp = 1,
  Icmp = 2,
  Other = 3,
  NotIp = 4,
}

const KINDS = 5;
/** Packets of this size or more are dropped: a computed module constant. */
const MAX_FRAME = 6 * 256;

export const kinds = new ArrayMap<u64>({ maxEntries: KINDS });

function classify(proto: u8): Kind {
  switch (proto) {
    case IPPROTO_TCP:
      return Kind.Tcp;
    case IPPROTO_UDP:
      return Kind.Udp;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return Kind.Icmp;
    default:
      return Kind.Other;
  }
}

function bump(kind: Kind): void {
  const n = kinds.lookup(kind);
  if (n !== null) n.value += 1;
}

export function switchEnum(ctx: XdpContext): XDP {
  if (ctx.len >= MAX_FRAME) return XDP.DROP;
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.DROP;
  let kind = Kind.NotIp;
  if (eth.proto === htons(ETH_P_IP)) {
    const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
    if (ip === null) return XDP.DROP;
    kind = classify(ip.protocol);
  } else if (eth.proto === htons(ETH_P_IPV6)) {
    const ip6 = ctx.header<Ipv6Hdr>(sizeof<EthHdr>());
    if (ip6 === null) return XDP.DROP;
    kind = classify(ip6.nexthdr);
  }
  bump(kind);
  switch (kind) {
    case Kind.Other:
      return XDP.DROP;
    default:
      return XDP.PASS;
  }
}
