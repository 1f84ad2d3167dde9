// Reflector: sends every UDP/IPv4 datagram back where it came from — Ethernet addresses,
// IPv4 addresses and UDP ports swapped, out of the interface it arrived on (XDP.TX).
// Swapping leaves both checksums valid: a one's-complement sum does not depend on order.
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, ETH_P_IP, IPPROTO_UDP, htons, sizeof, u32 } from "tsxdp";

export function reflector(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + u32(ip.ihl) * 4);
  if (udp === null) return XDP.PASS;

  for (let i = 0; i < 6; i++) {
    const b = eth.dst[i];
    eth.dst[i] = eth.src[i];
    eth.src[i] = b;
  }
  const addr = ip.saddr;
  ip.saddr = ip.daddr;
  ip.daddr = addr;
  const port = udp.source;
  udp.source = udp.dest;
  udp.dest = port;
  return XDP.TX;
}
