// Rejected: A printk with a format that is not a literal.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
declare const format: string;
export function p(ctx: XdpContext): XDP {
  printk(format, ctx.len); // @expect TSX1022
  return XDP.PASS;
}
