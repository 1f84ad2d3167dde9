// Rejected: A labeled loop.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  outer: for (let i = 0; i < 4; i++) { // @expect TSX1023
    for (let j = 0; j < 4; j++) {
      if (j === 2) break outer;
    }
  }
  return XDP.PASS;
}
