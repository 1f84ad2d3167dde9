// i8 and i16 arithmetic wraps at 8 and 16 bits — also inside a loop accumulator — and
// compares, divides, shifts and narrows as signed values after the wrap. The program reads
// `Inputs` after an Ethernet header with EtherType 0x88b5, writes `Outputs` after them and
// sends the frame back.
import { XdpContext, XDP, EthHdr, htons, sizeof, i8, i16, u8 } from "tsxdp";

/** 6 bytes. */
export interface Inputs {
  a8: i8;
  b8: i8;
  a16: i16;
  b16: i16;
}

/** 18 bytes. */
export interface Outputs {
  inc8: i8;
  dec8: i8;
  mul8: i8;
  div8: i8;
  inc16: i16;
  neg16: i16;
  mul16: i16;
  rem16: i16;
  wrapped8: u8;
  wrapped16: u8;
  shr8: i8;
  acc8: i8;
  narrow8: i8;
}

export function smallSigned(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(0x88b5)) return XDP.PASS;
  const v = ctx.header<Inputs>(sizeof<EthHdr>());
  const r = ctx.header<Outputs>(sizeof<EthHdr>() + sizeof<Inputs>());
  if (v === null || r === null) return XDP.ABORTED;
  r.inc8 = v.a8 + 1;
  r.dec8 = v.b8 - 1;
  r.mul8 = v.a8 * v.a8;
  r.div8 = v.b8 / -1;
  r.inc16 = v.a16 + 1;
  r.neg16 = -v.b16;
  r.mul16 = v.a16 * 2;
  r.rem16 = v.b16 % 3;
  r.wrapped8 = v.a8 + 1 < v.a8 ? 1 : 0;
  r.wrapped16 = v.a16 + 1 < v.a16 ? 1 : 0;
  r.shr8 = v.b8 >> 1;
  let acc: i8 = v.a8;
  for (let i = 0; i < 200; i++) acc += 1;
  r.acc8 = acc;
  r.narrow8 = i8(v.a16);
  return XDP.TX;
}
