// Rejected: A for loop bounded by a packet-dependent value.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let sum: u32 = 0;
  for (let i = 0; i < ctx.len; i++) { // @expect TSX3001
    sum += i;
  }
  return sum === 0 ? XDP.DROP : XDP.PASS;
}
