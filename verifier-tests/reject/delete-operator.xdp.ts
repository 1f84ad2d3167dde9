// Rejected: Deletes a property.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
interface Opt { a?: u32; }
declare const o: Opt;
export function p(ctx: XdpContext): XDP {
  delete o.a; // @expect TSX1015
  return XDP.PASS;
}
