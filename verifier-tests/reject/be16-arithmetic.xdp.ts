// Rejected: Adds to a network-order field.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const udp = ctx.header<UdpHdr>(34);
  if (udp === null) return XDP.PASS;
  udp.len = udp.len + udp.len; // @expect TSX2007
  return XDP.TX;
}
