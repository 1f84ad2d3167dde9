// Rejected: A loop the verifier would have to walk a million times.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  let x: u32 = 0;
  for (let i = 0; i < 1000000; i++) { // @expect TSX3008
    x += i;
  }
  return x === 0 ? XDP.PASS : XDP.DROP;
}
