// Rejected: a module-level constant computed by the user's own function named like a stdlib one (htons): only stdlib conversions fold at compile time.
// eslint-disable
import { XdpContext, XDP, u16, config } from "tsxdp";
function htons(x: u16): u16 { return u16(x + 1); }
const K = htons(1);
export const PORT = config<u16>(htons(1)); // @expect TSX2012
export function p(ctx: XdpContext): XDP {
  if (K === 2) return XDP.DROP; // @expect TSX2012
  return PORT === 2 ? XDP.PASS : XDP.DROP;
}
