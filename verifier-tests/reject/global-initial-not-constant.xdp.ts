// Rejected: The initial value of a struct global is not a compile-time constant, and a plain literal meets a network-order field.
import { XdpContext, XDP, global, be16, u32 } from "tsxdp";
interface Pair { a: u32; port: be16; }
function seven(): u32 { return 7; }
export const pair = global<Pair>({ a: seven() }); // @expect TSX2012
export const other = global<Pair>({ port: 53 }); // @expect TSX2003
export function p(ctx: XdpContext): XDP {
  pair.a += other.a;
  return XDP.PASS;
}
