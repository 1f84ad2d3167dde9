// Rejected: Uses ** (not in the subset).
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const n: u32 = ctx.len;
  return n ** 2 > 1000 ? XDP.DROP : XDP.PASS; // @expect TSX1014
}
