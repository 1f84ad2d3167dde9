// Rejected: Uses ?. instead of a null check.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(14);
  return ip?.ttl === 1 ? XDP.DROP : XDP.PASS; // @expect TSX1019
}
