// XDP programs of a loaded object: test-run (BPF_PROG_TEST_RUN), attach to an interface
// (a BPF link where the kernel has them, so a crashed process leaves nothing behind;
// netlink as the fallback), pinning.
import { native } from "./native.js";
import { BpfError, explain } from "./errors.js";
import { XDP } from "./xdp.js";

/** XDP_FLAGS_* from <linux/if_link.h>. */
const XdpFlags = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8, REPLACE: 16 } as const;
const modeFlags = { native: XdpFlags.DRV_MODE, generic: XdpFlags.SKB_MODE, offload: XdpFlags.HW_MODE } as const;
export type AttachMode = keyof typeof modeFlags;

export interface AttachOptions {
  mode?: AttachMode;
  /** Replace a program attached through netlink (not one held by another link). */
  replace?: boolean;
  /**
   * "link" (default where the kernel has XDP links): detached when the last reference
   * closes — a crashed process leaves nothing behind. "netlink": stays until detached.
   */
  via?: "link" | "netlink";
}

export interface RunOptions {
  /** Run the program this many times (durationNs is the average). */
  repeat?: number;
  /** A struct xdp_md for the run (ingress_ifindex, rx_queue_index …), as bytes. */
  ctx?: Uint8Array;
  /** BPF_F_TEST_XDP_LIVE_FRAMES and friends. */
  flags?: number;
}

export interface RunResult {
  action: XDP;
  packet: Uint8Array;
  durationNs: number;
}

export interface Link extends Disposable {
  readonly ifindex: number;
  /** "link" (bpf_link, detached when the process exits) or "netlink". */
  readonly kind: "link" | "netlink";
  detach(): void;
  /** Pins a BPF link so it outlives this process (bpffs path). */
  pin(path: string): void;
}

export interface XdpProgram {
  readonly name: string;
  readonly fd: number;
  run(packet: Uint8Array, options?: RunOptions): RunResult;
  attach(target: string | number, options?: AttachOptions): Link;
  pin(path: string): void;
}

export function ifindexOf(target: string | number): number {
  if (typeof target === "number") return target;
  try {
    return native().ifIndex(target);
  } catch (error) {
    throw explain(Object.assign(error as object, { errno: 19 }), `interface '${target}'`, { ifname: target });
  }
}

export class BpfProgram implements XdpProgram {
  constructor(readonly name: string, private readonly fdOf: () => number) {}

  get fd(): number {
    const fd = this.fdOf();
    if (fd < 0) throw new BpfError(`program '${this.name}' is not loaded yet: call load() first`, "EBADF");
    return fd;
  }

  run(packet: Uint8Array, options: RunOptions = {}): RunResult {
    if (!(packet instanceof Uint8Array)) throw new TypeError("run(packet): packet must be a Uint8Array");
    if (packet.length < 14) throw new BpfError(`run(): the kernel test-runs XDP programs only on packets of at least 14 bytes (an Ethernet header); got ${packet.length}`, "EINVAL");
    const repeat = options.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError("run(): repeat must be a positive integer");
    // Room for programs that grow the packet (adjustHead/adjustTail).
    const outSize = options.flags && options.flags & 2 ? 0 : packet.length + 512; // live frames: no output
    let ctx = options.ctx ?? null;
    if (ctx && ctx.length >= 8 && new DataView(ctx.buffer, ctx.byteOffset).getUint32(4, true) === 0) {
      // struct xdp_md.data_end must be the packet's length; fill it in when left at zero.
      ctx = Uint8Array.from(ctx);
      new DataView(ctx.buffer).setUint32(4, packet.length, true);
    }
    try {
      const r = native().progTestRun(this.fd, packet, repeat, outSize, options.flags ?? 0, ctx);
      return { action: r.retval as XDP, packet: r.packet, durationNs: r.durationNs };
    } catch (error) {
      throw explain(error, `test run of '${this.name}'`);
    }
  }

  attach(target: string | number, options: AttachOptions = {}): Link {
    const ifindex = ifindexOf(target);
    const ifname = typeof target === "string" ? target : undefined;
    const mode = options.mode === undefined ? 0 : modeFlags[options.mode];
    if (mode === undefined) throw new BpfError(`attach(): mode must be "native", "generic" or "offload"`, "EINVAL");
    if (options.via !== "netlink") try {
      const linkFd = native().xdpLinkCreate(this.fd, ifindex, mode);
      return new XdpLink(ifindex, "link", linkFd, mode);
    } catch (error) {
      const errno = (error as { errno?: number }).errno;
      // EINVAL/EOPNOTSUPP: no XDP links here; EBUSY with replace: a netlink program to replace.
      const tryNetlink = errno === 22 || errno === 95 || (errno === 16 && options.replace);
      if (!tryNetlink) throw explain(error, `attach '${this.name}' to ${ifname ?? `ifindex ${ifindex}`}`, { ifname });
    }
    try {
      native().xdpAttach(ifindex, this.fd, mode | (options.replace ? 0 : XdpFlags.UPDATE_IF_NOEXIST), -1);
      return new XdpLink(ifindex, "netlink", -1, mode);
    } catch (error) {
      throw explain(error, `attach '${this.name}' to ${ifname ?? `ifindex ${ifindex}`}`, { ifname });
    }
  }

  pin(path: string): void {
    try {
      native().objPin(this.fd, path);
    } catch (error) {
      throw explain(error, `pin program '${this.name}' at ${path}`);
    }
  }

  /** What the kernel reports: id, instructions after load (xlated), verifier work, JIT size. */
  info(): { id: number; xlatedInsns: number; jitedBytes: number; verifiedInsns: number } {
    return native().progInfo(this.fd);
  }
}

class XdpLink implements Link {
  private attached = true;
  constructor(readonly ifindex: number, readonly kind: "link" | "netlink", private readonly fd: number, private readonly mode: number) {}

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    try {
      if (this.kind === "link") native().close(this.fd);
      else native().xdpDetach(this.ifindex, this.mode);
    } catch (error) {
      throw explain(error, `detach from ifindex ${this.ifindex}`);
    }
  }

  pin(path: string): void {
    if (this.kind !== "link") throw new BpfError("only a BPF link can be pinned; this attach used netlink (it stays until detached)", "EINVAL");
    try {
      native().objPin(this.fd, path);
    } catch (error) {
      throw explain(error, `pin link at ${path}`);
    }
  }

  [Symbol.dispose](): void {
    this.detach();
  }
}

/** Detaches whatever XDP program is attached to an interface (tsxdp detach). */
export function detachInterface(target: string | number, mode?: AttachMode): void {
  const ifindex = ifindexOf(target);
  try {
    native().xdpDetach(ifindex, mode ? modeFlags[mode] : 0);
  } catch (error) {
    throw explain(error, `detach from ${target}`, { ifname: typeof target === "string" ? target : undefined });
  }
}
