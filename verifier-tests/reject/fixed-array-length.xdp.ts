// Rejected: FixedArray lengths the kernel cannot take (0 and -1 gave sizes 0 and NaN, 4294967295 failed with E2BIG when the map was created).
// eslint-disable
import { XdpContext, XDP, u8, u32, FixedArray, ArrayMap } from "tsxdp";
interface Empty { bytes: FixedArray<u8, 0>; } // @expect TSX2021
interface Negative { bytes: FixedArray<u8, -1>; } // @expect TSX2021
interface Huge { bytes: FixedArray<u8, 4294967295>; } // @expect TSX2021
export const a = new ArrayMap<Empty>({ maxEntries: 1 }); // @expect TSX4004
export const b = new ArrayMap<Negative>({ maxEntries: 1 }); // @expect TSX4004
export const c = new ArrayMap<Huge>({ maxEntries: 1 }); // @expect TSX4004
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
