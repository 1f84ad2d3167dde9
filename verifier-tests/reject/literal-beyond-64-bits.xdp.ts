// Rejected: integer literals wider than 64 bits (they used to wrap silently to their low 64 bits).
// eslint-disable
import { XdpContext, XDP, u64 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let x = 18446744073709551616; // @expect TSX2020
  let y = 1_0000_0000_0000_0000_0000; // @expect TSX2020
  const z = u64(0x1_0000_0000_0000_0000n); // @expect TSX2020
  return x === y ? XDP.PASS : XDP.DROP;
}
