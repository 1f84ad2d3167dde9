// Rejected: A helper with six parameters.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
function six(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32): u32 { // @expect TSX3007
  return a + b + c + d + e + f;
}
export function p(ctx: XdpContext): XDP {
  return six(1, 2, 3, 4, 5, 6) > 0 ? XDP.PASS : XDP.DROP;
}
