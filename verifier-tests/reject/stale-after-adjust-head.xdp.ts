// Rejected: Reads a view taken before adjustHead moved the packet.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  if (!ctx.adjustHead(4)) return XDP.ABORTED;
  return eth.proto === htons(ETH_P_IP) ? XDP.PASS : XDP.DROP; // @expect TSX3005
}
