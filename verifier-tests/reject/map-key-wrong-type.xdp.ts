// Rejected: Looks up a be32-keyed map with a host-order u32.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export const blocked = new HashMap<be32, u64>({ maxEntries: 16 });
export function p(ctx: XdpContext): XDP {
  const addr: u32 = 0x0a000001;
  return blocked.lookup(addr) !== null ? XDP.DROP : XDP.PASS; // @expect TS2345
}
