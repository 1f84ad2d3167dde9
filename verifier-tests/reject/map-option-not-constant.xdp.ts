// Rejected: A map size that is not a constant.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
declare function size(): number;
export const m = new HashMap<u32, u32>({ maxEntries: size() }); // @expect TSX4002
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
