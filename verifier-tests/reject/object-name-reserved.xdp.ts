// Rejected: names the BPF object already uses (the program section "xdp", the license section and symbol).
// eslint-disable
import { XdpContext, XDP, u32, ArrayMap, global } from "tsxdp";
export const _license = new ArrayMap<u32>({ maxEntries: 1 }); // @expect TSX1027
export const license = global<u32>(1); // @expect TSX1027
export function xdp(ctx: XdpContext): XDP { // @expect TSX1027
  return _license.lookup(0) === null && license.value === 1 ? XDP.PASS : XDP.DROP;
}
