// Rejected: Two helpers that call each other.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
function even(n: u32): bool {
  return n === 0 ? true : odd(n - 1);
}
function odd(n: u32): bool {
  return n === 0 ? false : even(n - 1); // @expect TSX3002
}
export function p(ctx: XdpContext): XDP {
  return even(ctx.len) ? XDP.PASS : XDP.DROP;
}
