// Several files: helpers and a constant imported from another .xdp.ts module. Bounces
// IPv4 frames back to their sender (MACs and addresses swapped), except broadcasts.
import { XdpContext, XDP, EthHdr, Ipv4Hdr, ETH_P_IP, htons, sizeof } from "tsxdp";
import { swapMacs, swapAddresses, isBroadcast } from "./shared/net.xdp.ts";

export function imports(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  if (isBroadcast(eth)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  swapMacs(eth);
  swapAddresses(ip);
  return XDP.TX;
}
