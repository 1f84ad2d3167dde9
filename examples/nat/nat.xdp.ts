// Static destination NAT: packets to a (address, port, protocol) listed in `rules` are
// rewritten to the rule's target. The IPv4 header checksum and the TCP/UDP checksum (whose
// pseudo-header includes the address) are updated incrementally (RFC 1624); a UDP checksum
// of zero means "none" and stays zero. `snat` is the reverse direction for the replies.
import {
  XdpContext, XDP, HashMap, EthHdr, Ipv4Hdr, UdpHdr, TcpHdr, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP,
  htons, sizeof, csumReplace16, csumReplace32, be16, be32, bool, u8, u32,
} from "tsxdp";

export interface Endpoint {
  addr: be32;
  port: be16;
  proto: u8;
}
export interface Target {
  addr: be32;
  port: be16;
}

/** Public (address, port, protocol) → private target. */
export const rules = new HashMap<Endpoint, Target>({ maxEntries: 1024 });
/** Private (address, port, protocol) → public endpoint, for the replies. */
export const reverse = new HashMap<Endpoint, Target>({ maxEntries: 1024 });

function rewrite(ctx: XdpContext, destination: bool): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  if (ip.protocol !== IPPROTO_TCP && ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const l4 = sizeof<EthHdr>() + u32(ip.ihl) * 4;
  // Source and destination ports sit at the same offsets in TCP and UDP.
  const ports = ctx.header<UdpHdr>(l4);
  if (ports === null) return XDP.PASS;

  const key: Endpoint = {
    addr: destination ? ip.daddr : ip.saddr,
    port: destination ? ports.dest : ports.source,
    proto: ip.protocol,
  };
  const target = destination ? rules.lookup(key) : reverse.lookup(key);
  if (target === null) return XDP.PASS;

  const oldAddr = key.addr;
  const oldPort = key.port;
  ip.check = csumReplace32(ip.check, oldAddr, target.addr);
  if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header<TcpHdr>(l4);
    if (tcp === null) return XDP.PASS;
    tcp.check = csumReplace16(csumReplace32(tcp.check, oldAddr, target.addr), oldPort, target.port);
  } else if (ports.check !== htons(0)) {
    ports.check = csumReplace16(csumReplace32(ports.check, oldAddr, target.addr), oldPort, target.port);
  }
  if (destination) {
    ip.daddr = target.addr;
    ports.dest = target.port;
  } else {
    ip.saddr = target.addr;
    ports.source = target.port;
  }
  return XDP.PASS;
}

/** On the public side: rewrite destinations. */
export function dnat(ctx: XdpContext): XDP {
  return rewrite(ctx, true);
}

/** On the private side: rewrite the sources of replies back. */
export function snat(ctx: XdpContext): XDP {
  return rewrite(ctx, false);
}
