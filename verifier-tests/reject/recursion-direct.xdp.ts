// Rejected: A helper that calls itself.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
function sum(n: u32): u32 {
  return n === 0 ? 0 : n + sum(n - 1); // @expect TSX3002
}
export function p(ctx: XdpContext): XDP {
  return sum(3) === 6 ? XDP.PASS : XDP.DROP;
}
