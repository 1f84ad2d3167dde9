// Rejected: program, map, global and config names that are not C identifiers (LLVM or the kernel refused them after check had accepted them).
// eslint-disable
import { XdpContext, XDP, u32, ArrayMap, global, config } from "tsxdp";
export const zähler = new ArrayMap<u32>({ maxEntries: 1 }); // @expect TSX1026
export const a$b = global<u32>(1); // @expect TSX1026
export const 設定 = config<u32>(1); // @expect TSX1026
export function prögram(ctx: XdpContext): XDP { // @expect TSX1026
  return zähler.lookup(0) === null && a$b.value === 1 && 設定 === 1 ? XDP.PASS : XDP.DROP;
}
