// Rejected: a helper parameter typed `number`, which has no width.
import { XdpContext, XDP, ArrayMap, u64 } from "tsxdp";
export const replies = new ArrayMap<u64>({ maxEntries: 4 });
function countReply(index: number): XDP { // @expect TSX2006
  const n = replies.lookup(index);
  if (n !== null) n.value += 1;
  return XDP.TX;
}
export function p(ctx: XdpContext): XDP {
  return countReply(1);
}
