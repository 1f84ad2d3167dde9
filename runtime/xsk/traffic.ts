// A traffic source that never leaves the kernel: BPF_PROG_TEST_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES on an XDP_TX program whose context says the frame arrived on
// `ifname` really transmits it from there — to the veth peer, which must have an XDP
// program attached (or GRO on) to take it. For tests and benchmarks.
import { native } from "../native.js";
import { explain } from "../errors.js";
import { ifindexOf } from "../program.js";
import { BPF_F_TEST_XDP_LIVE_FRAMES, BPF_PROG_TYPE_XDP, XdpMd } from "../kernel.js";
import { verdictProgram } from "../bpf-insn.js";
import { XDP } from "../xdp.js";

export interface LiveFramesOptions {
  /** The interface frames leave from (its peer receives them). */
  ifname: string;
  frame: Uint8Array;
  count: number;
}

/** Sends `count` copies of `frame` out of `ifname`; returns the kernel's time for the run. */
export function liveFrames(options: LiveFramesOptions): { durationNs: number } {
  const n = native();
  const ifindex = ifindexOf(options.ifname);
  const prog = n.progLoadRaw(BPF_PROG_TYPE_XDP, verdictProgram(XDP.TX), "GPL", "tsxdp_gen");
  try {
    const ctx = new Uint8Array(XdpMd.size);
    const view = new DataView(ctx.buffer);
    view.setUint32(XdpMd.dataEnd, options.frame.length, true); // the kernel wants the frame's length here
    view.setUint32(XdpMd.ingressIfindex, ifindex, true);
    const r = n.progTestRun(prog, options.frame, options.count, 0, BPF_F_TEST_XDP_LIVE_FRAMES, ctx);
    return { durationNs: r.durationNs };
  } catch (error) {
    throw explain(error, `send live frames from ${options.ifname}`, { ifname: options.ifname });
  } finally {
    n.close(prog);
  }
}
