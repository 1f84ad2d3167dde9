// Rejected: Indexes a MAC address with an unchecked value.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  const i: u32 = ctx.rxQueueIndex;
  return eth.dst[i] === 0xff ? XDP.DROP : XDP.PASS; // @expect TSX2011
}
