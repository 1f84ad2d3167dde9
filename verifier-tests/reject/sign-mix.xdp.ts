// Rejected: Compares a signed with an unsigned value.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const delta: i32 = -4;
  const len: u32 = ctx.len;
  return len > delta ? XDP.PASS : XDP.DROP; // @expect TSX2002
}
