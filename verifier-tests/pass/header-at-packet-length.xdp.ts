// A view at an offset computed from ctx.len: the last two bytes of the frame. The offset is
// checked as the 64-bit value the pointer add uses (the verifier refused the narrowed check:
// "math between pkt pointer and register with unbounded min value").
import { XdpContext, XDP, u8 } from "tsxdp";

interface Trailer {
  first: u8;
  second: u8;
}

export function trailer(ctx: XdpContext): XDP {
  const tail = ctx.header<Trailer>(ctx.len - 2);
  if (tail === null) return XDP.ABORTED;
  return tail.first === 0xbe && tail.second === 0xef ? XDP.DROP : XDP.PASS;
}
