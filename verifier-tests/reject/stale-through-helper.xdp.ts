// Rejected: Calls a helper that moves the packet, then uses an older view.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
function pushTag(ctx: XdpContext): bool {
  return ctx.adjustHead(-4);
}
export function p(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || !pushTag(ctx)) return XDP.PASS;
  return eth.proto === htons(ETH_P_IP) ? XDP.TX : XDP.PASS; // @expect TSX3005
}
