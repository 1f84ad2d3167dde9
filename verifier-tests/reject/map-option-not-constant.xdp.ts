// Rejected: A map size that is not a constant. Its uses report nothing more.
// eslint-disable
import { XdpContext, XDP, HashMap, u32 } from "tsxdp";
declare function size(): number;
export const m = new HashMap<u32, u32>({ maxEntries: size() }); // @expect TSX4002
export function p(ctx: XdpContext): XDP {
  const v = m.lookup(1);
  if (v !== null) v.value += 1;
  return XDP.PASS;
}
