// The forwarder's interface: steers every frame arriving there into the AF_XDP socket of
// its receive queue (main.ts forwards it) and counts the frames it steered. Frames that
// socket transmits never come through here: AF_XDP transmit bypasses the sending
// interface's own XDP program, so `steered` counts only what came in from the wire.
import { XdpContext, XDP, XskMap, PerCpuArray, u64 } from "tsxdp";

export const sockets = new XskMap({ maxEntries: 64 });
/** Frames steered into the socket (index 0). */
export const steered = new PerCpuArray<u64>({ maxEntries: 1 });

export function steer(ctx: XdpContext): XDP {
  // No socket at the queue's slot (not open yet): the frame goes on to the kernel's stack.
  const action = sockets.redirect(ctx.rxQueueIndex, XDP.PASS);
  if (action === XDP.REDIRECT) {
    const n = steered.lookup(0);
    if (n !== null) n.value += 1;
  }
  return action;
}
