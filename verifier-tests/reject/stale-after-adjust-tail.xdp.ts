// Rejected: Writes a view taken before adjustTail.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(14);
  if (ip === null) return XDP.PASS;
  if (!ctx.adjustTail(-4)) return XDP.ABORTED;
  ip.ttl = 1; // @expect TSX3005
  return XDP.TX;
}
