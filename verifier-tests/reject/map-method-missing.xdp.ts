// Rejected: Calls update() on a DevMap, which has only redirect/lookup.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export const ports = new DevMap({ maxEntries: 4 });
export function p(ctx: XdpContext): XDP {
  ports.update(0, 1); // @expect TS2339
  return XDP.PASS;
}
