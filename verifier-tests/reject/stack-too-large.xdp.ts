// Rejected: A 600-byte struct on the stack.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
interface Scratch { bytes: FixedArray<u8, 600>; }
export function p(ctx: XdpContext): XDP { // @expect TSX3003
  const s = zero<Scratch>();
  s.bytes[0] = 1;
  return XDP.PASS;
}
