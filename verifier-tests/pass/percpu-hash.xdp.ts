// PerCpuHashMap with a struct value: create the entry on first sight with update(…,
// BPF_NOEXIST), then count through the lookup's view. Keyed by EtherType (host order).
import { XdpContext, XDP, EthHdr, PerCpuHashMap, BPF_NOEXIST, ntohs, u16, u64 } from "tsxdp";

export interface Totals {
  packets: u64;
  bytes: u64;
}

export const byEtherType = new PerCpuHashMap<u16, Totals>({ maxEntries: 64 });

export function percpuHash(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.DROP;
  const type = ntohs(eth.proto);
  const totals = byEtherType.lookup(type);
  if (totals === null) {
    const first: Totals = { packets: 1, bytes: ctx.len };
    byEtherType.update(type, first, BPF_NOEXIST);
    return XDP.PASS;
  }
  totals.packets += 1;
  totals.bytes += ctx.len;
  return XDP.PASS;
}
