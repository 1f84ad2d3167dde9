// Rejected: A string used as a value.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const reason = "too short"; // @expect TSX1002
  return ctx.len < 60 ? XDP.DROP : XDP.PASS;
}
