// Rejected: Declares configuration inside a function.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const limit = config<u32>(100); // @expect TSX4011
  return ctx.len > limit ? XDP.DROP : XDP.PASS;
}
