// Struct map keys with interior and trailing padding (zero-filled on the stack, so equal
// keys hash equal), and a struct value with a nested struct whose fields are updated in
// place through the lookup's view.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, HashMap,
  ETH_P_IP, IPPROTO_UDP, htons, sizeof, be16, be32, u8, u32, u64,
} from "tsxdp";

/** 12 bytes: proto, 1 pad, port, addr, tag, 3 pad. */
export interface RuleKey {
  proto: u8;
  port: be16;
  addr: be32;
  tag: u8;
}

export interface Counter {
  packets: u64;
  bytes: u64;
}

export interface Rule {
  /** 1: drop, anything else: pass. */
  action: u32;
  hits: Counter;
}

export const rules = new HashMap<RuleKey, Rule>({ maxEntries: 64 });

export function structKeys(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_UDP || ip.ihl !== 5) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + sizeof<Ipv4Hdr>());
  if (udp === null) return XDP.PASS;

  const key: RuleKey = { proto: ip.protocol, port: udp.dest, addr: ip.daddr, tag: 7 };
  const rule = rules.lookup(key);
  if (rule === null) return XDP.PASS;
  rule.hits.packets += 1;
  rule.hits.bytes += ctx.len;
  return rule.action === 1 ? XDP.DROP : XDP.PASS;
}
