// Rejected: A parameter typed any.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
function f(x: any): u32 { // @expect TSX1004
  return 1;
}
export function p(ctx: XdpContext): XDP {
  return f(ctx.len) === 1 ? XDP.PASS : XDP.DROP;
}
