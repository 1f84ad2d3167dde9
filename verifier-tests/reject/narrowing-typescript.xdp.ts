// Rejected: Assigns a u32 to a u8: TypeScript itself rejects it.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const len: u32 = ctx.len;
  const small: u8 = len; // @expect TS2322
  return small > 10 ? XDP.PASS : XDP.DROP;
}
