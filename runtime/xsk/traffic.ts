// A traffic source that never leaves the kernel: BPF_PROG_TEST_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES on an XDP_TX program whose context says the frame arrived on
// `ifname` really transmits it from there — to the veth peer, which must have an XDP
// program attached (or GRO on) to take it. For tests and benchmarks.
import { native } from "../native.js";
import { explain } from "../errors.js";
import { ifindexOf } from "../program.js";

const BPF_PROG_TYPE_XDP = 6;
const BPF_F_TEST_XDP_LIVE_FRAMES = 2;

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
  // r0 = XDP_TX; exit
  const insns = new Uint8Array([0xb7, 0x00, 0, 0, 3, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const prog = n.progLoadRaw(BPF_PROG_TYPE_XDP, insns, "GPL", "tsxdp_gen");
  try {
    // struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    const ctx = new Uint8Array(24);
    const view = new DataView(ctx.buffer);
    view.setUint32(4, options.frame.length, true); // data_end: the kernel wants the frame's length
    view.setUint32(12, ifindex, true);
    const r = n.progTestRun(prog, options.frame, options.count, 0, BPF_F_TEST_XDP_LIVE_FRAMES, ctx);
    return { durationNs: r.durationNs };
  } catch (error) {
    throw explain(error, `send live frames from ${options.ifname}`, { ifname: options.ifname });
  } finally {
    n.close(prog);
  }
}
