// tailCall in a helper that has no XdpContext to pass on.
import { XdpContext, XDP, ProgArray, tailCall } from "tsxdp";

export const jumps = new ProgArray({ maxEntries: 4 });

function jump(): XDP {
  tailCall(jumps, 0); // @expect TSX4013
  return XDP.PASS;
}

export function entry(ctx: XdpContext): XDP {
  return jump();
}
