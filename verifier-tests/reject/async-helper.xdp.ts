// Rejected: An async helper.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
async function slow(): Promise<u32> { // @expect TSX1008 TS2583 TSX1025
  return 1;
}
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
