// ctx.adjustTail to cut a frame to a snapshot length (packet sampling), and a view taken
// again after the call (the earlier one is stale). Frames of SNAP_LEN bytes or fewer are
// left alone; longer ones are cut and get their EtherType replaced to mark them as samples.
import { XdpContext, XDP, EthHdr, htons, i32 } from "tsxdp";

const SNAP_LEN = 64;
const ETH_P_SAMPLE = 0x88b5;

export function adjustTail(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  const len = ctx.len;
  if (len <= SNAP_LEN) return XDP.PASS;
  // A negative delta shrinks; len > SNAP_LEN here, so the difference is positive before negation.
  if (!ctx.adjustTail(-i32(len - SNAP_LEN))) return XDP.ABORTED;
  const sample = ctx.header<EthHdr>(0);
  if (sample === null) return XDP.ABORTED;
  sample.proto = htons(ETH_P_SAMPLE);
  return XDP.TX;
}
