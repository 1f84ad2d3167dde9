// Rejected: A class.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
class Counter { // @expect TSX1005
  n: u32 = 0;
}
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
