// Rejected: a packet view of a bare integer (views are structs laid over the packet).
import { XdpContext, XDP, be16, htons } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const proto = ctx.header<be16>(12); // @expect TSX2018
  if (proto === null) return XDP.PASS;
  return XDP.DROP;
}
