// XDP programs of a loaded object: test-run (BPF_PROG_TEST_RUN), attach to an interface
// (a BPF link where the kernel has them, so a crashed process leaves nothing behind;
// netlink as the fallback), pinning.
import { native, type KernelCalls } from "./native.js";
import { BpfError, alreadyAttached, explain, integerArgument, invalidArgument, u32Max } from "./errors.js";
import { XDP } from "./xdp.js";
import { kernelObjects } from "./kernel-ids.js";
import { BPF_F_TEST_XDP_LIVE_FRAMES, BPF_LINK_TYPE_XDP, Errno, XdpAttached, XdpFlags, XdpMd } from "./kernel.js";
import type { RedirectTarget } from "./vm/helpers.js";

const modeFlags = { native: XdpFlags.DRV_MODE, generic: XdpFlags.SKB_MODE, offload: XdpFlags.HW_MODE } as const;
export type AttachMode = keyof typeof modeFlags;

export interface AttachOptions {
  mode?: AttachMode;
  /**
   * Replace the program attached to the interface: one held by a BPF link (any process's,
   * or a pin) is swapped in that link (BPF_LINK_UPDATE; the returned Link adopts it), one
   * attached through netlink is replaced through netlink. Without it, an attached program
   * is an EEXIST error.
   */
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
  /**
   * The context the program sees: `{ ingressIfindex, rxQueueIndex }` (an interface of this
   * namespace, by name or index, and one of its receive queues), or a struct xdp_md as bytes.
   */
  ctx?: Uint8Array | { ingressIfindex?: number | string; rxQueueIndex?: number };
  /** BPF_F_TEST_XDP_LIVE_FRAMES and friends. */
  flags?: number;
}

export interface RunResult {
  action: XDP;
  packet: Uint8Array;
  durationNs: number;
  /** VM backend: where XDP_REDIRECT sends the packet (bpf_redirect's ifindex or the map slot). */
  redirect?: RedirectTarget;
  /** VM backend: the lines bpf_trace_printk wrote during the run. */
  printk?: string[];
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

const xdpMdBytes = XdpMd.size;

function xdpMd(ctx: { ingressIfindex?: number | string; rxQueueIndex?: number }, kernel: KernelCalls): Uint8Array {
  const bytes = new Uint8Array(xdpMdBytes);
  const view = new DataView(bytes.buffer);
  if (ctx.ingressIfindex !== undefined)
    view.setUint32(XdpMd.ingressIfindex, ifindexOf(ctx.ingressIfindex, "run(): ctx.ingressIfindex", kernel), true);
  if (ctx.rxQueueIndex !== undefined)
    view.setUint32(XdpMd.rxQueueIndex, integerArgument("run(): ctx.rxQueueIndex", ctx.rxQueueIndex, 0, u32Max), true);
  return bytes;
}

/**
 * A raw struct xdp_md as the kernel gets it: whole u32 fields, at most the 24 bytes of the
 * struct, padded with zero fields (a shorter ctx left data_end out, and the run ABORTED),
 * data_end filled in with the packet's length when left at zero.
 */
function rawXdpMd(ctx: Uint8Array, packetLength: number): Uint8Array {
  if (ctx.length === 0 || ctx.length > xdpMdBytes || ctx.length % 4 !== 0) {
    throw invalidArgument(
      "range",
      `run(): a raw ctx is a struct xdp_md: up to ${xdpMdBytes} bytes of whole u32 fields (data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex), not ${ctx.length} bytes`,
    );
  }
  const md = new Uint8Array(xdpMdBytes);
  md.set(ctx);
  const view = new DataView(md.buffer);
  if (view.getUint32(XdpMd.dataEnd, true) === 0) view.setUint32(XdpMd.dataEnd, packetLength, true);
  return md;
}

/** Interface indexes are positive ints in the kernel (`int ifindex`). */
const ifindexMax = 0x7fff_ffff;

export function ifindexOf(target: string | number, what = "interface index", kernel?: Pick<KernelCalls, "ifIndex">): number {
  if (typeof target === "number") return integerArgument(what, target, 1, ifindexMax);
  if (typeof target !== "string")
    throw invalidArgument("type", `${what}: expected an interface name or index, not ${target === null ? "null" : typeof target}`);
  try {
    return (kernel ?? native()).ifIndex(target);
  } catch (error) {
    throw explain(Object.assign(error as object, { errno: Errno.ENODEV }), `interface '${target}'`, { ifname: target });
  }
}

export class BpfProgram implements XdpProgram {
  constructor(
    readonly name: string,
    private readonly fdOf: () => number,
    private readonly calls?: KernelCalls,
  ) {}

  /** The backend: the native addon (default) or the VM. */
  private get kernel(): KernelCalls {
    return this.calls ?? native();
  }

  /**
   * A program pinned on bpffs (`pin()`, `tsxdp attach --pin`), opened again in this process:
   * run it, attach it, pin it elsewhere. `close()` (or `using`) releases this process's
   * reference; the pin keeps the program loaded until it is removed.
   */
  static openPinned(path: string): PinnedProgram {
    let fd: number;
    try {
      fd = native().objGet(path);
    } catch (error) {
      throw explain(error, `open pinned program ${path}`);
    }
    const info = native().progInfo(fd) as { name?: string; type?: number };
    return new PinnedProgram(info.name || path.split("/").pop() || "pinned", fd);
  }

  get fd(): number {
    const fd = this.fdOf();
    if (fd < 0) throw new BpfError(`program '${this.name}' is not loaded yet: call load() first`, "EBADF");
    return fd;
  }

  run(packet: Uint8Array, options: RunOptions = {}): RunResult {
    if (!(packet instanceof Uint8Array)) throw invalidArgument("type", "run(packet): packet must be a Uint8Array");
    if (packet.length < 14)
      throw new BpfError(
        `run(): the kernel test-runs XDP programs only on packets of at least 14 bytes (an Ethernet header); got ${packet.length}`,
        "EINVAL",
      );
    const repeat = integerArgument("run(): repeat", options.repeat ?? 1, 1, u32Max);
    const flags = integerArgument("run(): flags", options.flags ?? 0, 0, u32Max);
    // Room for programs that grow the packet (adjustHead/adjustTail).
    const outSize = flags & BPF_F_TEST_XDP_LIVE_FRAMES ? 0 : packet.length + 512; // live frames: no output
    const given = options.ctx;
    if (given !== undefined && (given === null || typeof given !== "object"))
      throw invalidArgument("type", "run(): ctx must be { ingressIfindex, rxQueueIndex } or a struct xdp_md as a Uint8Array");
    const ctx = given === undefined ? null : rawXdpMd(given instanceof Uint8Array ? given : xdpMd(given, this.kernel), packet.length);
    try {
      const r: ReturnType<KernelCalls["progTestRun"]> & { redirect?: RedirectTarget; printk?: string[] } = this.kernel.progTestRun(
        this.fd,
        packet,
        repeat,
        outSize,
        flags,
        ctx,
      );
      const result: RunResult = { action: r.retval as XDP, packet: r.packet, durationNs: r.durationNs };
      if (this.kernel.backend === "vm") {
        result.redirect = r.redirect;
        result.printk = r.printk;
      }
      return result;
    } catch (error) {
      if ((error as { errno?: number }).errno === Errno.EINVAL && ctx) {
        throw explain(
          error,
          `test run of '${this.name}': the kernel refused the ctx (ingress_ifindex must be an interface of this namespace, rx_queue_index one of its receive queues; data, data_meta and egress_ifindex 0)`,
        );
      }
      throw explain(error, `test run of '${this.name}'`);
    }
  }

  attach(target: string | number, options: AttachOptions = {}): Link {
    if (this.kernel.backend === "vm")
      throw new BpfError(
        `attach '${this.name}': programs of the VM backend run only in this process (run() them); attaching to an interface needs the kernel backend (open the object without { backend: "vm" })`,
        "EOPNOTSUPP",
      );
    const ifindex = ifindexOf(target, "attach(): interface index");
    const ifname = typeof target === "string" ? target : undefined;
    const what = `attach '${this.name}' to ${ifname ?? `ifindex ${ifindex}`}`;
    const mode = options.mode === undefined ? 0 : modeFlags[options.mode];
    if (mode === undefined) throw new BpfError(`attach(): mode must be "native", "generic" or "offload"`, "EINVAL");
    if (options.via !== "netlink") {
      try {
        const linkFd = native().xdpLinkCreate(this.fd, ifindex, mode);
        return new XdpLink(ifindex, "link", linkFd, mode, false);
      } catch (error) {
        const errno = (error as { errno?: number }).errno;
        if (errno === Errno.EBUSY || errno === Errno.EEXIST) {
          if (!options.replace) throw alreadyAttached(error, what, { ifname, ...describeAttachment(ifindex) });
          return this.replaceOn(ifindex, mode, what, ifname);
        }
        // EINVAL/EOPNOTSUPP: no XDP links for this device or kernel: netlink below.
        if (errno !== Errno.EINVAL && errno !== Errno.EOPNOTSUPP) throw explain(error, what, { ifname, attach: true });
      }
    }
    if (options.replace) return this.replaceOn(ifindex, mode, what, ifname);
    try {
      native().xdpAttach(ifindex, this.fd, mode | XdpFlags.UPDATE_IF_NOEXIST, -1);
      return new XdpLink(ifindex, "netlink", -1, mode, false);
    } catch (error) {
      const errno = (error as { errno?: number }).errno;
      if (errno === Errno.EBUSY || errno === Errno.EEXIST) throw alreadyAttached(error, what, { ifname, ...describeAttachment(ifindex) });
      throw explain(error, what, { ifname, attach: true });
    }
  }

  /**
   * Puts this program in place of the one attached to `ifindex`: a BPF link holding the
   * interface gets BPF_LINK_UPDATE (the link stays, whoever holds it, and now runs this
   * program; the returned Link adopts it), a netlink attachment is replaced through netlink.
   */
  private replaceOn(ifindex: number, mode: number, what: string, ifname: string | undefined): Link {
    const link = findXdpLink(ifindex);
    if (link) {
      // BPF_LINK_UPDATE swaps the program and keeps the link's mode: a different mode asked
      // for would silently not happen.
      const attached = attachedModeName(ifindex);
      const asked = (Object.keys(modeFlags) as AttachMode[]).find((m) => modeFlags[m] === mode);
      if (asked !== undefined && attached !== undefined && asked !== attached) {
        native().close(link.fd);
        throw new BpfError(
          `${what}: the program there runs in ${attached} mode in BPF link ${link.id}, and replacing keeps a link's mode; to run in ${asked} mode, detach it first (close or unpin the link, or tsxdp detach --dev ${ifname ?? "IFACE"}) and attach again`,
          "EINVAL",
        );
      }
      try {
        native().linkUpdate(link.fd, this.fd, -1);
      } catch (error) {
        native().close(link.fd);
        throw explain(error, `${what}: replace the program of BPF link ${link.id}`, { ifname, attach: true });
      }
      return new XdpLink(ifindex, "link", link.fd, mode, true);
    }
    try {
      native().xdpAttach(ifindex, this.fd, mode, -1);
      return new XdpLink(ifindex, "netlink", -1, mode, false);
    } catch (error) {
      throw explain(error, `${what} (replacing through netlink)`, { ifname, attach: true });
    }
  }

  pin(path: string): void {
    try {
      this.kernel.objPin(this.fd, path);
    } catch (error) {
      throw explain(error, `pin program '${this.name}' at ${path}`);
    }
  }

  /** What the kernel reports: id, instructions after load (xlated), verifier work, JIT size. */
  info(): { id: number; xlatedInsns: number; jitedBytes: number; verifiedInsns: number } {
    return this.kernel.progInfo(this.fd);
  }
}

/** A program opened from its bpffs pin; holds one fd until closed. */
export class PinnedProgram extends BpfProgram implements Disposable {
  private handle: number;
  constructor(name: string, fd: number) {
    super(name, () => {
      if (this.handle < 0) throw new BpfError(`pinned program '${name}' is closed: open it again with BpfProgram.openPinned()`, "EBADF");
      return this.handle;
    });
    this.handle = fd;
  }
  close(): void {
    if (this.handle < 0) return;
    native().close(this.handle);
    this.handle = -1;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

class XdpLink implements Link {
  private attached = true;
  /**
   * adopted: a link found on the interface and updated to our program (attach with
   * replace). Others may hold it too (a pin, the process that made it), so detach() makes
   * the kernel detach it (BPF_LINK_DETACH) instead of only closing our reference.
   */
  constructor(
    readonly ifindex: number,
    readonly kind: "link" | "netlink",
    private readonly fd: number,
    private readonly mode: number,
    private readonly adopted: boolean,
  ) {}

  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    try {
      if (this.kind === "link") {
        try {
          if (this.adopted) native().linkDetach(this.fd);
        } finally {
          native().close(this.fd);
        }
      } else native().xdpDetach(this.ifindex, this.mode);
    } catch (error) {
      throw explain(error, `detach from ifindex ${this.ifindex}`);
    }
  }

  pin(path: string): void {
    if (this.kind !== "link")
      throw new BpfError("only a BPF link can be pinned; this attach used netlink (it stays until detached)", "EINVAL");
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

/**
 * The BPF link that holds the XDP program of `ifindex` in this namespace, by walking the
 * kernel's link ids. A link reports only its ifindex, which other namespaces reuse, so the
 * program id the interface reports (netlink query, namespace-local) must match too.
 */
function findXdpLink(ifindex: number): { fd: number; id: number; progId: number } | undefined {
  let attachedProgId = 0;
  try {
    attachedProgId = native().xdpQuery(ifindex).progId;
  } catch {
    return undefined;
  }
  if (!attachedProgId) return undefined;
  for (const { id, fd } of kernelObjects("link")) {
    const info = native().linkInfo(fd);
    if (info.type === BPF_LINK_TYPE_XDP && info.ifindex === ifindex && info.progId === attachedProgId)
      return { fd, id, progId: info.progId };
    native().close(fd);
  }
  return undefined;
}

/** What holds an interface's XDP hook, for error messages. */
/** XDP_ATTACHED_DRV/SKB/HW from bpf_xdp_query, as attach() names the modes. */
function attachedModeName(ifindex: number): AttachMode | undefined {
  try {
    return ({ [XdpAttached.DRV]: "native", [XdpAttached.SKB]: "generic", [XdpAttached.HW]: "offload" } as Record<number, AttachMode>)[
      native().xdpQuery(ifindex).mode
    ];
  } catch {
    return undefined;
  }
}

function describeAttachment(ifindex: number): { progId?: number; holder?: "link" | "netlink" } {
  try {
    const progId = native().xdpQuery(ifindex).progId;
    if (!progId) return {};
    const link = findXdpLink(ifindex);
    if (link) native().close(link.fd);
    return { progId, holder: link ? "link" : "netlink" };
  } catch {
    return {};
  }
}

/** What `detachInterface` took off an interface. */
export interface Detached {
  progId: number;
  /** The modes it was attached in (one, or several when programs ran in more than one). */
  modes: AttachMode[];
  holder: "link" | "netlink";
}

/** XDP_ATTACHED_* of bpf_xdp_query: the modes each value means. */
const attachedModes: Record<number, AttachMode[]> = { 1: ["native"], 2: ["generic"], 3: ["offload"], 4: ["native", "generic"] };

/**
 * Detaches whatever XDP program is attached to an interface, by link or netlink (tsxdp
 * detach), in the mode it is attached in (netlink without a mode flag means native on a
 * device with a driver hook, so a generic program used to stay while this said "detached").
 * Nothing attached (in `mode`, when given) is ENOENT; a program still there afterwards is
 * EBUSY. Both in words.
 */
export function detachInterface(target: string | number, mode?: AttachMode): Detached {
  const ifindex = ifindexOf(target);
  const where = typeof target === "string" ? `'${target}'` : `ifindex ${ifindex}`;
  const what = `detach from ${where}`;
  const query = () => {
    try {
      return native().xdpQuery(ifindex);
    } catch (error) {
      throw explain(error, what, { ifname: typeof target === "string" ? target : undefined });
    }
  };
  const before = query();
  const attachedIn = attachedModes[before.mode] ?? [];
  if (attachedIn.length === 0 || (mode !== undefined && before.mode !== 4 && !attachedIn.includes(mode))) {
    const which = attachedIn.length
      ? ` in ${mode} mode (the program there runs in ${attachedIn[0]} mode: leave out --mode, or give that one)`
      : "";
    throw new BpfError(`${what}: no XDP program is attached${which}`, "ENOENT");
  }
  let holder: Detached["holder"] = "netlink";
  try {
    // A BPF link (a pin, another process) holds it: netlink cannot detach that, the link can.
    const link = findXdpLink(ifindex);
    if (link) {
      holder = "link";
      try {
        native().linkDetach(link.fd);
      } finally {
        native().close(link.fd);
      }
    } else {
      for (const m of mode ? [mode] : attachedIn) native().xdpDetach(ifindex, modeFlags[m]);
    }
  } catch (error) {
    throw explain(error, what, { ifname: typeof target === "string" ? target : undefined });
  }
  const after = query();
  const left = (attachedModes[after.mode] ?? []).filter((m) => !mode || m === mode || after.mode === 4);
  if (left.length)
    throw new BpfError(
      `${what}: a program is still attached in ${left.join(" and ")} mode (program id ${after.progId || "?"}) after detaching`,
      "EBUSY",
    );
  return { progId: before.progId, modes: mode ? [mode] : attachedIn, holder };
}
