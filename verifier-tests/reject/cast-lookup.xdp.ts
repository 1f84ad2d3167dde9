// Casts null away from a map lookup and a packet view instead of checking them.
import { XdpContext, XDP, HashMap, Ipv4Hdr, Ref, be32, u64 } from "tsxdp";

export const seen = new HashMap<be32, u64>({ maxEntries: 16 });

export function castLookup(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(14) as Ipv4Hdr; // @expect TSX3009
  const count = seen.lookup(ip.saddr) as Ref<u64>; // @expect TSX3009
  count.value += 1;
  return XDP.PASS;
}
