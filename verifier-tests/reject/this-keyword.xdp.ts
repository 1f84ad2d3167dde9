// Rejected: Uses this in a function.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
function f(this: void): u32 {
  return this === undefined ? 1 : 0; // @expect TSX1021
}
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
