// Reading tailCall's result: the verifier marks R0 unreadable after bpf_tail_call, so the
// stdlib declares it void and TypeScript rejects the use in the editor.
import { XdpContext, XDP, ProgArray, tailCall, i64 } from "tsxdp";

export const jumps = new ProgArray({ maxEntries: 2 });

export function jump(ctx: XdpContext): XDP {
  const rc: i64 = tailCall(jumps, 0); // @expect TS2322
  return rc < 0 ? XDP.PASS : XDP.DROP;
}
