// Rejected: A function expression assigned to a variable.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const isBig = function (len: u32): bool { return len > 1000; }; // @expect TSX1006
  return isBig(ctx.len) ? XDP.DROP : XDP.PASS;
}
