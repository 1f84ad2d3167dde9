// Rejected: var inside a function.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  var n: u32 = ctx.len; // @expect TSX1016
  return n > 0 ? XDP.PASS : XDP.DROP;
}
