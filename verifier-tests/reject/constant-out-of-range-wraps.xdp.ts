// Rejected: constants folded beyond their type: a typed module const, and an unannotated let of a constant wider than u64/i64.
// eslint-disable
import { XdpContext, XDP, u8, u64 } from "tsxdp";
const SMALL: u8 = 300; // @expect TSX2004
const WIDE: u64 = 1 << 70; // @expect TSX2004
const HUGE = 1 << 70;
export function p(ctx: XdpContext): XDP {
  let x = HUGE; // @expect TSX2004
  let y = -9223372036854775809; // @expect TSX2004
  if (x === 0 || y === 0) return XDP.DROP;
  return SMALL === 44 && WIDE === 0 ? XDP.PASS : XDP.DROP;
}
