// Static NAT over two interfaces, one program per interface, each rewriting and forwarding:
// `dnat` on the public side rewrites packets to a (address, port, protocol) listed in
// `rules` to the rule's private target, `snat` on the private side rewrites the replies'
// sources back. The IPv4 header checksum and the TCP/UDP checksum (whose pseudo-header
// includes the address) are updated incrementally (RFC 1624); a UDP checksum of zero means
// "none" and stays zero. A rewritten packet is then forwarded in XDP: the kernel's FIB
// (bpf_fib_lookup) gives the egress interface and next-hop MACs, the TTL is decremented and
// the packet redirected — only to one of the NAT's own `interfaces`. What the FIB cannot
// resolve yet (no neighbour entry), or a route elsewhere, goes to the stack, which routes
// the already rewritten packet.
import {
  XdpContext, XDP, HashMap, EthHdr, Ipv4Hdr, UdpHdr, TcpHdr, FibLookup, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP, AF_INET,
  BPF_FIB_LKUP_RET_SUCCESS, htons, ntohs, sizeof, zero, fibLookup, redirect, csumReplace16, csumReplace32, log, be16, be32, bool, u8, u16, u32,
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
/** The NAT's interfaces (ifindex → 1): rewritten packets are forwarded in XDP only to these. */
export const interfaces = new HashMap<u32, u8>({ maxEntries: 16 });

/** Forwards a (rewritten) IPv4 packet by the FIB, or passes it to the stack. */
function forward(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.ttl <= 1) return XDP.PASS; // the stack sends the ICMP time-exceeded

  const fib = zero<FibLookup>();
  fib.family = AF_INET;
  fib.tos = ip.tos;
  fib.l4Protocol = ip.protocol;
  fib.totLen = ntohs(ip.totLen);
  fib.ipv4Src = ip.saddr;
  fib.ipv4Dst = ip.daddr;
  fib.ifindex = ctx.ingressIfindex;
  if (fibLookup(ctx, fib, 0) !== BPF_FIB_LKUP_RET_SUCCESS) return XDP.PASS;
  if (interfaces.lookup(fib.ifindex) === null) return XDP.PASS;

  // TTL and protocol share a 16-bit word of the header checksum.
  const before = htons((u16(ip.ttl) << 8) | ip.protocol);
  ip.ttl -= 1;
  ip.check = csumReplace16(ip.check, before, htons((u16(ip.ttl) << 8) | ip.protocol));
  eth.dst = fib.dmac;
  eth.src = fib.smac;
  return redirect(fib.ifindex, 0);
}

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
  log.debug("{:ipv4}:{} becomes {:ipv4}:{}", oldAddr, oldPort, target.addr, target.port);
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
  return forward(ctx);
}

/** On the public side: rewrite destinations, forward to the private side. */
export function dnat(ctx: XdpContext): XDP {
  return rewrite(ctx, true);
}

/** On the private side: rewrite the sources of replies back, forward to the public side. */
export function snat(ctx: XdpContext): XDP {
  return rewrite(ctx, false);
}
