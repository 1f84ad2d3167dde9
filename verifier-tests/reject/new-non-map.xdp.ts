// Rejected: Allocates an object with new.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
interface Pair { a: u32; b: u32; }
declare class Box { constructor(); } // @expect TSX1005
export function p(ctx: XdpContext): XDP {
  const b = new Box(); // @expect TSX1010
  return XDP.PASS;
}
