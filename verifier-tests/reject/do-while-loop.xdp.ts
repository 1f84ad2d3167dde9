// Rejected: A do/while loop.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let i: u32 = 0;
  do {
    i++;
  } while (i < 4); // @expect TSX3001
  return XDP.PASS;
}
