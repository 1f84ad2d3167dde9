// Rejected: A variable typed number (no width).
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let n: number = 0; // @expect TSX2006
  return n === 0 ? XDP.PASS : XDP.DROP;
}
