// Steers UDP datagrams for one port into the AF_XDP socket of the receive queue; all other
// traffic goes on to the kernel's stack. The Node side (main.ts) answers them.
import { XdpContext, XDP, XskMap, EthHdr, Ipv4Hdr, UdpHdr, ETH_P_IP, IPPROTO_UDP, config, htons, ntohs, sizeof, u16, u32 } from "tsxdp";

export const sockets = new XskMap({ maxEntries: 64 });
export const PORT = config<u16>(7007);

export function steer(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + u32(ip.ihl) * 4);
  if (udp === null || ntohs(udp.dest) !== PORT) return XDP.PASS;
  return sockets.redirect(ctx.rxQueueIndex, XDP.PASS);
}
