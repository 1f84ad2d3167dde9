// Rejected: an empty interface as a map key (the kernel refused the zero-sized key with EINVAL when it created the map).
// eslint-disable
import { XdpContext, XDP, u32, HashMap } from "tsxdp";
interface Nothing {}
export const m = new HashMap<Nothing, u32>({ maxEntries: 4 }); // @expect TSX4004
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
