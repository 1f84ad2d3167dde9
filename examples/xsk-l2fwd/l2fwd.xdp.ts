// The forwarder's interface: counts every frame arriving there and steers it into the
// AF_XDP socket of its receive queue (main.ts forwards it). Frames that socket transmits
// never come through here: AF_XDP transmit bypasses the sending interface's own XDP
// program, so `arrived` counts only what came in from the wire.
import { XdpContext, XDP, XskMap, PerCpuArray, u64 } from "tsxdp";

export const sockets = new XskMap({ maxEntries: 64 });
/** Frames that arrived on the interface (index 0). */
export const arrived = new PerCpuArray<u64>({ maxEntries: 1 });

export function steer(ctx: XdpContext): XDP {
  const n = arrived.lookup(0);
  if (n !== null) n.value += 1;
  return sockets.redirect(ctx.rxQueueIndex, XDP.PASS);
}
