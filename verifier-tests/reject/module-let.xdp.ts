// Rejected: A mutable module-level variable.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
let seen: u64 = 0; // @expect TSX1013
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
