// Rejected: a program without a name (the function name is the program's name).
import { XdpContext, XDP } from "tsxdp";
export default function (ctx: XdpContext): XDP { return XDP.PASS; } // @expect TSX1024

export function named(ctx: XdpContext): XDP {
  return XDP.PASS;
}
