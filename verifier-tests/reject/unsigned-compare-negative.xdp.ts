// Rejected: an unsigned value compared with a negative constant (it would compare with the
// constant wrapped to a huge unsigned number, so this loop would run about 2^32 times).
import { XdpContext, XDP, u32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let n: u32 = 0;
  for (let i = 0; i < -12; i++) { // @expect TSX2004
    n += 1;
  }
  if (ctx.len > -1) return XDP.DROP; // @expect TSX2004
  return n > 3 ? XDP.DROP : XDP.PASS;
}
