// Integer semantics, observable in the output bytes: every width wraps at its own size,
// widening is implicit and narrowing explicit, signed and unsigned compare by type, `>>` is
// arithmetic on signed and logical on unsigned types, `/` and `%` by zero give 0, and u64
// constants beyond 2^53 are bigint literals.
//
// The program reads a little-endian `Operands` struct right after an Ethernet header with
// the local experimental EtherType 0x88b5, writes a `Results` struct right after it, and
// sends the frame back (XDP.TX).
import { XdpContext, XDP, EthHdr, htons, sizeof, u8, u16, u32, u64, i8, i16, i32, i64 } from "tsxdp";

const ETH_P_LOCAL_EXPERIMENTAL = 0x88b5;

/** 32 bytes. */
export interface Operands {
  a8: u8;
  b8: u8;
  a16: u16;
  a32: u32;
  b32: u32;
  a64: u64;
  s8: i8;
  t8: i8;
  s16: i16;
  s32: i32;
}

/** 72 bytes. */
export interface Results {
  add8: u8;
  sub8: u8;
  mul16: u16;
  shl32: u32;
  div32: u32;
  mod32: u32;
  wide: u64;
  add64: u64;
  big: u64;
  signedLess: u8;
  unsignedLess: u8;
  narrow8: u8;
  sra: i32;
  srl: u32;
  neg: i32;
  sext: i64;
  not32: u32;
  negative16: u8;
}

export function integers(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  if (eth.proto !== htons(ETH_P_LOCAL_EXPERIMENTAL)) return XDP.PASS;
  const ops = ctx.header<Operands>(sizeof<EthHdr>());
  const r = ctx.header<Results>(sizeof<EthHdr>() + sizeof<Operands>());
  if (ops === null || r === null) return XDP.ABORTED;

  r.add8 = ops.a8 + ops.b8;
  r.sub8 = ops.a8 - ops.b8;
  r.mul16 = ops.a16 * ops.a16;
  r.shl32 = ops.a32 << 4;
  r.div32 = ops.a32 / ops.b32;
  r.mod32 = ops.a32 % ops.b32;
  const w: u64 = ops.a32;
  r.wide = w * ops.a32;
  r.add64 = ops.a64 + ops.a64;
  r.big = ops.a64 ^ u64(0xffff_ffff_0000_0000n);
  r.signedLess = ops.s8 < ops.t8 ? 1 : 0;
  r.unsignedLess = u8(ops.s8) < u8(ops.t8) ? 1 : 0;
  r.narrow8 = u8(ops.a32);
  r.sra = ops.s32 >> 3;
  r.srl = ops.a32 >> 3;
  r.neg = -ops.s32;
  r.sext = ops.s16;
  r.not32 = ~ops.a32;
  r.negative16 = ops.s16 < 0 ? 1 : 0;
  return XDP.TX;
}
