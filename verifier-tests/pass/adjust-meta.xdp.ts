// ctx.adjustMeta grows the metadata area in front of the packet; ctx.metadata<T>(offset)
// views it (bounds-checked against data, as the verifier requires for data_meta). The
// program leaves a struct there for whoever sees the frame next (tc, an AF_XDP reader),
// reads it back through a fresh view, and shows that a view past its end is null.
import { XdpContext, XDP, EthHdr, htons, sizeof, be16, i32, u16, u32, u8 } from "tsxdp";

/** 12 bytes: the metadata size must be a multiple of 4 (at most 32). */
export interface Mark {
  magic: u32;
  ifindex: u32;
  etherType: be16;
  len: u16;
}

const MAGIC = 0xfeedf00d;

export function adjustMeta(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  const proto = eth.proto;
  const len = ctx.len;
  if (ctx.metadata<u32Box>(0) !== null) return XDP.DROP; // no metadata before the call
  if (!ctx.adjustMeta(-i32(sizeof<Mark>()))) return XDP.ABORTED;
  const mark = ctx.metadata<Mark>(0);
  if (mark === null) return XDP.ABORTED;
  mark.magic = MAGIC;
  mark.ifindex = ctx.ingressIfindex;
  mark.etherType = proto;
  mark.len = u16(len);
  if (ctx.metadata<Mark>(4) !== null) return XDP.DROP; // past the 12 bytes
  const last = ctx.metadata<u32Box>(8);
  const again = ctx.header<EthHdr>(0);
  if (last === null || again === null) return XDP.ABORTED;
  // Read back: the low byte of the magic and of the last metadata word land in the packet.
  again.dst[0] = u8(mark.magic);
  again.dst[1] = u8(last.value);
  return proto === htons(0x0800) ? XDP.PASS : XDP.TX;
}

/** A 4-byte word of metadata. */
export interface u32Box {
  value: u32;
}
