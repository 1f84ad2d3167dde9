// Rejected: an @align that is not a power of two (it was silently ignored).
// eslint-disable
import { XdpContext, XDP, u32, ArrayMap } from "tsxdp";
/** @align 3 */
interface Odd { value: u32; } // @expect TSX2022
export const m = new ArrayMap<Odd>({ maxEntries: 1 });
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
