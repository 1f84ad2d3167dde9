// LpmTrie: longest-prefix match of the IPv4 source address against prefixes set from user
// space. The key is `prefixlen` then the address bytes; a lookup uses the full 32 bits.
// The value says what to do with the prefix: 1 drop, 2 pass (a more specific exception).
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, LpmTrie, ETH_P_IP, BPF_F_NO_PREALLOC,
  htons, sizeof, be32, u32,
} from "tsxdp";

export interface Ipv4Prefix {
  prefixlen: u32;
  addr: be32;
}

const ACTION_DROP = 1;

// The kernel requires BPF_F_NO_PREALLOC for LPM tries.
export const prefixes = new LpmTrie<Ipv4Prefix, u32>({ maxEntries: 1024, flags: BPF_F_NO_PREALLOC });

export function lpm(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  const key: Ipv4Prefix = { prefixlen: 32, addr: ip.saddr };
  const action = prefixes.lookup(key);
  if (action === null) return XDP.PASS;
  return action.value === ACTION_DROP ? XDP.DROP : XDP.PASS;
}
