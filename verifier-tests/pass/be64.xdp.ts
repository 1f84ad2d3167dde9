// be64 fields: a 64-bit sequence number in network byte order after an Ethernet header
// (EtherType 0x88b5). The program converts it with ntohll, writes the successor back with
// htonll, copies the original unchanged into a second be64 field, stores the host value
// in a u64 field, and keeps the highest sequence seen in a map as a be64 value.
import { XdpContext, XDP, EthHdr, ArrayMap, htons, htonll, ntohll, sizeof, be64, u64 } from "tsxdp";

export interface Stamp {
  seq: be64;
  original: be64;
  host: u64;
}

/** Slot 0: the highest sequence number seen, in network byte order. */
export const highest = new ArrayMap<be64>({ maxEntries: 1 });

export function be64Fields(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(0x88b5)) return XDP.PASS;
  const s = ctx.header<Stamp>(sizeof<EthHdr>());
  if (s === null) return XDP.ABORTED;
  const seq = ntohll(s.seq);
  s.original = s.seq;
  s.host = seq;
  s.seq = htonll(seq + 1);
  const best = highest.lookup(0);
  if (best !== null && ntohll(best.value) < seq) best.value = htonll(seq);
  return XDP.TX;
}
