// Rejected: A floating-point constant.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const ratio: u32 = 1.5; // @expect TSX1003
  return ctx.len > ratio ? XDP.PASS : XDP.DROP;
}
