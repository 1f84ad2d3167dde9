// Three ways to send a packet elsewhere:
// - `l2fwd`: to the interface a DevMap slot names (keyed by the ingress ifindex),
// - `toSocket`: UDP to a chosen port into the AF_XDP socket of the receive queue (XskMap),
// - `router`: IPv4 forwarding with the kernel's FIB (bpf_fib_lookup): TTL decrement,
//   checksum update, next-hop MACs, redirect out of the egress interface.
// Each falls back to XDP.PASS when the map slot or the route is missing.
import {
  XdpContext, XDP, DevMap, XskMap, EthHdr, Ipv4Hdr, UdpHdr, FibLookup, config, zero,
  ETH_P_IP, IPPROTO_UDP, AF_INET, BPF_FIB_LKUP_RET_SUCCESS, htons, ntohs, sizeof, fibLookup, redirect,
  csumReplace16, u16, u32,
} from "tsxdp";

/** Ingress ifindex → egress ifindex. */
export const ports = new DevMap({ maxEntries: 64 });
/** Receive queue → AF_XDP socket. */
export const sockets = new XskMap({ maxEntries: 64 });
/** UDP destination port steered to AF_XDP. */
export const SOCKET_PORT = config<u16>(4789);

export function l2fwd(ctx: XdpContext): XDP {
  return ports.redirect(ctx.ingressIfindex, XDP.PASS);
}

export function toSocket(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + u32(ip.ihl) * 4);
  if (udp === null || ntohs(udp.dest) !== SOCKET_PORT) return XDP.PASS;
  return sockets.redirect(ctx.rxQueueIndex, XDP.PASS);
}

export function router(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.ttl <= 1) return XDP.PASS;

  const fib = zero<FibLookup>();
  fib.family = AF_INET;
  fib.tos = ip.tos;
  fib.l4Protocol = ip.protocol;
  fib.totLen = ntohs(ip.totLen);
  fib.ipv4Src = ip.saddr;
  fib.ipv4Dst = ip.daddr;
  fib.ifindex = ctx.ingressIfindex;
  if (fibLookup(ctx, fib, 0) !== BPF_FIB_LKUP_RET_SUCCESS) return XDP.PASS;

  // TTL and protocol share a 16-bit word of the header checksum.
  const before = htons((u16(ip.ttl) << 8) | ip.protocol);
  ip.ttl -= 1;
  ip.check = csumReplace16(ip.check, before, htons((u16(ip.ttl) << 8) | ip.protocol));
  eth.dst = fib.dmac;
  eth.src = fib.smac;
  return redirect(fib.ifindex, 0);
}
