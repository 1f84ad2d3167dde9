// Rejected: A constant that does not fit its type.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const ttl: u8 = 256; // @expect TSX2004
  return ctx.len > ttl ? XDP.PASS : XDP.DROP;
}
