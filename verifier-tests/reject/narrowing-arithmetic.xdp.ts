// Rejected: Narrows the result of arithmetic, which TypeScript sees as number.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const a: u32 = ctx.len;
  const b: u8 = a + 1; // @expect TSX2001
  return b > 10 ? XDP.PASS : XDP.DROP;
}
