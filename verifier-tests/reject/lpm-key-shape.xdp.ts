// Rejected: An LpmTrie whose key does not start with prefixlen.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
interface Key { addr: be32; prefixlen: u32; }
export const routes = new LpmTrie<Key, u32>({ maxEntries: 16 }); // @expect TSX4009
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
