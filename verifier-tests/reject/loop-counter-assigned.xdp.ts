// Rejected: Assigns the loop counter in the body, voiding the bound.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  for (let i = 0; i < 8; i++) { // @expect TSX3001
    if (ctx.len > 100) i = 0;
  }
  return XDP.PASS;
}
