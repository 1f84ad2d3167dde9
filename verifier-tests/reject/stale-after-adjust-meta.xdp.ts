// Rejected: Uses a view after adjustMeta, even on one branch only.
// eslint-disable
import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, DevMap, LpmTrie, FixedArray, ETH_P_IP, htons, printk, zero, config, be32, bool, u8, u16, u32, u64, i32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  if (ctx.len > 100) {
    ctx.adjustMeta(-4);
  }
  eth.dst[0] = 0; // @expect TSX3005
  return XDP.PASS;
}
