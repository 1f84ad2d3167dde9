// Removes null from a packet view with `!` instead of checking it (the kernel would reject the load: "R1 offset is outside of the packet").
import { XdpContext, XDP, EthHdr, ETH_P_IP, htons } from "tsxdp";

export function nonNullView(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0)!; // @expect TSX3009
  return eth.proto === htons(ETH_P_IP) ? XDP.PASS : XDP.DROP;
}
