// Rejected: Writes through a map lookup without checking it against null.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export const counts = new ArrayMap<u64>({ maxEntries: 4 });
export function p(ctx: XdpContext): XDP {
  const n = counts.lookup(0);
  n.value += 1; // @expect TS18047
  return XDP.PASS;
}
