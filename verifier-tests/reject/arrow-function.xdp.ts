// Rejected: An arrow function (a closure).
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const twice = (x: u32): u32 => x * 2; // @expect TSX1006
  return twice(ctx.len) > 100 ? XDP.PASS : XDP.DROP;
}
