// Rejected: A while loop has no bound the compiler can see.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let n: u32 = 0;
  while (n < ctx.len) { // @expect TSX3001
    n += 64;
  }
  return XDP.PASS;
}
