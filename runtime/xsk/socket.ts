// XskSocket: an AF_XDP socket bound to (interface, queue), with its UMEM, the four rings
// and a frame allocator. Received frames come in batches of zero-copy views into the UMEM,
// valid until the batch is released (the next iteration); they then go back to the fill
// ring. Transmit copies into free frames and reaps completions.
import fs from "node:fs";
import { native } from "../native.js";
import { BpfError, explain } from "../errors.js";
import { ifindexOf } from "../program.js";
import { FrameAllocator } from "./frames.js";
import "../dispose.js";

const XDP_COPY = 2;
const XDP_ZEROCOPY = 4;
const XDP_USE_NEED_WAKEUP = 8;
const XDP_FLAGS_SKB_MODE = 2;
const XDP_FLAGS_DRV_MODE = 4;
const BPF_MAP_TYPE_XSKMAP = 17;
const BPF_PROG_TYPE_XDP = 6;

export interface XskOptions {
  ifname: string;
  queue?: number;
  /** UMEM size: frames × frameSize bytes. */
  frames?: number;
  /** A power of two, 2048…65536. */
  frameSize?: number;
  mode?: "copy" | "zerocopy" | "auto";
  /** Your program's XskMap (any map object with an `fd`): the socket is registered at key = queue. */
  xskMap?: { readonly fd: number };
  /** How tsxdp's default redirect program is attached when there is no xskMap. */
  attachMode?: "native" | "generic";
  rxSize?: number;
  txSize?: number;
  /** Frames per received batch (at most). */
  batchSize?: number;
  /** XDP_USE_NEED_WAKEUP (default true): the kernel says when it needs a kick. */
  needWakeup?: boolean;
  /** Share the UMEM of another socket (on another queue or interface). */
  shareUmemWith?: XskSocket;
}

export interface XskStats {
  rxPackets: number;
  txPackets: number;
  rxBatches: number;
  rxDropped: number;
  rxInvalidDescs: number;
  txInvalidDescs: number;
  rxRingFull: number;
  rxFillRingEmpty: number;
  txRingEmpty: number;
}

/** A batch of received frames: views into the UMEM, valid until the batch is released. */
export type XskBatch = Uint8Array[];

interface Umem {
  handle: unknown;
  buffer?: ArrayBuffer;
  frames: FrameAllocator;
  users: number;
}

export class XskSocket implements AsyncDisposable, Disposable {
  private closed = false;
  private readonly rxDescs: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly txDescs: Uint32Array;
  private counters = { rxPackets: 0, txPackets: 0, rxBatches: 0 };
  /** Frames of the batch the user holds, returned to the fill ring on release. */
  private held = 0;
  /** Frames kept on the fill ring; the rest stay free for transmit. */
  private readonly fillTarget: number;

  private constructor(
    readonly ifname: string,
    readonly queue: number,
    readonly mode: "copy" | "zerocopy",
    private readonly socket: unknown,
    private readonly umem: Umem,
    private readonly batchSize: number,
    private readonly cleanup: (() => void)[],
  ) {
    this.rxDescs = new Uint32Array(batchSize * 2);
    this.fillTarget = Math.floor(umem.frames.frames / 2);
    this.scratch = new Uint32Array(Math.max(batchSize, 256));
    this.txDescs = new Uint32Array(Math.max(batchSize, 256) * 2);
  }

  static async open(options: XskOptions): Promise<XskSocket> {
    const queue = options.queue ?? 0;
    const frames = options.frames ?? 4096;
    const frameSize = options.frameSize ?? 2048;
    const rxSize = options.rxSize ?? 2048;
    const txSize = options.txSize ?? 2048;
    const batchSize = options.batchSize ?? 64;
    const ifindex = ifindexOf(options.ifname);
    const n = native();

    let umem: Umem;
    if (options.shareUmemWith) {
      umem = options.shareUmemWith.umem;
    } else {
      try {
        const created = n.umemCreate(frames, frameSize, rxSize, txSize, 0);
        umem = { handle: created.handle, buffer: created.buffer, frames: new FrameAllocator(frames, frameSize), users: 0 };
      } catch (error) {
        throw explain(error, `create a UMEM of ${frames} × ${frameSize} bytes`);
      }
    }

    const wakeup = options.needWakeup === false ? 0 : XDP_USE_NEED_WAKEUP;
    // libxdp sets XDP_SHARED_UMEM itself when the UMEM already has a socket.
    const bindOnce = (flags: number) => n.socketCreate(umem.handle, options.ifname, queue, rxSize, txSize, flags | wakeup);
    // The kernel releases a closed socket's hold on its queue asynchronously (a deferred
    // work item), so a queue closed a moment ago can still be busy: retry briefly.
    const tryBind = async (flags: number): Promise<unknown> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return bindOnce(flags);
        } catch (error) {
          if ((error as { errno?: number }).errno !== 16 || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    };
    let socket: unknown;
    let mode: "copy" | "zerocopy";
    const wanted = options.mode ?? "auto";
    try {
      if (wanted === "copy") {
        socket = await tryBind(XDP_COPY);
        mode = "copy";
      } else {
        try {
          socket = await tryBind(XDP_ZEROCOPY);
          mode = "zerocopy";
        } catch (error) {
          if (wanted === "zerocopy" || (error as { errno?: number }).errno !== 95) throw error;
          socket = await tryBind(XDP_COPY); // "auto": the driver has no zero-copy (veth, generic XDP)
          mode = "copy";
        }
      }
    } catch (error) {
      if (!options.shareUmemWith && umem.users === 0) n.umemDelete(umem.handle);
      throw bindError(error, options.ifname, queue, wanted);
    }
    umem.users++;
    const cleanup: (() => void)[] = [];
    const xsk = new XskSocket(options.ifname, queue, mode, socket, umem, batchSize, cleanup);
    try {
      const fd = n.socketFd(socket);
      if (options.xskMap) {
        const mapFd = options.xskMap.fd;
        registerInMap(mapFd, queue, fd);
        cleanup.push(() => unregisterFromMap(mapFd, queue));
      } else {
        xsk.attachDefaultProgram(ifindex, fd, options.attachMode);
      }
      xsk.refill(Math.min(rxSize, Math.floor(frames / 2)));
    } catch (error) {
      xsk.close();
      throw error;
    }
    return xsk;
  }

  /** tsxdp's own redirect program (libxdp's dispatcher needs freplace, which not every kernel has). */
  private attachDefaultProgram(ifindex: number, socketFd: number, attachMode: "native" | "generic" | undefined): void {
    const n = native();
    const mapFd = n.mapCreate(BPF_MAP_TYPE_XSKMAP, 4, 4, 64, "tsxdp_xsks");
    this.cleanup.push(() => n.close(mapFd));
    registerInMap(mapFd, this.queue, socketFd);
    this.cleanup.push(() => unregisterFromMap(mapFd, this.queue));
    const progFd = n.progLoadRaw(BPF_PROG_TYPE_XDP, redirectProgram(mapFd), "GPL", "tsxdp_xsk");
    this.cleanup.push(() => n.close(progFd));
    let linkFd: number;
    try {
      linkFd = n.xdpLinkCreate(progFd, ifindex, attachMode === "generic" ? XDP_FLAGS_SKB_MODE : attachMode === "native" ? XDP_FLAGS_DRV_MODE : 0);
    } catch (error) {
      throw explain(error, `attach the AF_XDP redirect program to ${this.ifname}`, { ifname: this.ifname, attach: true });
    }
    this.cleanup.push(() => n.close(linkFd));
  }

  /** Puts up to `count` free frames on the fill ring. */
  private refill(count: number): void {
    const room = this.fillTarget - this.umem.frames.counts[FrameAllocator.Fill]!;
    const n = this.umem.frames.take(this.scratch, Math.min(count, room, this.scratch.length), FrameAllocator.Fill);
    if (!n) return;
    const submitted = native().fillSubmit(this.umem.handle, this.scratch, n);
    if (submitted < n) this.umem.frames.give(this.scratch.subarray(submitted), n - submitted, FrameAllocator.Fill);
  }

  /** Frames received now (at most batchSize), marked as held by the caller. */
  private receiveNow(): XskBatch {
    const n = native().rxBatch(this.socket, this.rxDescs, this.batchSize);
    if (n === 0) return [];
    this.umem.frames.move(this.rxDescs, n, FrameAllocator.Fill, FrameAllocator.Received, 2);
    this.held = n;
    this.counters.rxPackets += n;
    this.counters.rxBatches++;
    const batch: XskBatch = new Array(n);
    const buffer = this.umem.buffer;
    for (let i = 0; i < n; i++) {
      const addr = this.rxDescs[2 * i]!;
      const len = this.rxDescs[2 * i + 1]!;
      batch[i] = buffer ? new Uint8Array(buffer, addr, len) : native().umemRead(this.umem.handle, addr, len);
    }
    return batch;
  }

  /** Returns the held batch's frames to the fill ring. */
  private release(): void {
    if (!this.held) return;
    const n = this.held;
    this.held = 0;
    const addrs = this.scratch;
    for (let i = 0; i < n; i++) {
      const a = this.rxDescs[2 * i]!;
      addrs[i] = a - (a % this.umem.frames.frameSize);
    }
    this.umem.frames.move(addrs, n, FrameAllocator.Received, FrameAllocator.Fill);
    const submitted = native().fillSubmit(this.umem.handle, addrs, n);
    // A full fill ring: keep the rest as free frames (used for TX or the next refill).
    if (submitted < n) this.umem.frames.give(addrs.subarray(submitted), n - submitted, FrameAllocator.Fill);
    native().wakeupRx(this.socket);
  }

  /** Batches of received frames; a batch's frames return to the fill ring when the loop moves on. */
  async *[Symbol.asyncIterator](): AsyncGenerator<XskBatch> {
    try {
      while (!this.closed) {
        const batch = this.receiveNow();
        if (batch.length === 0) {
          this.refill(this.batchSize);
          native().wakeupRx(this.socket);
          await native().waitReadable(this.socket, 50);
          continue;
        }
        yield batch;
        this.release();
      }
    } finally {
      if (!this.closed) this.release();
    }
  }

  /** The callback form: calls `onBatch` for each batch until the signal aborts or the socket closes. */
  async receive(onBatch: (batch: XskBatch) => void | Promise<void>, options: { signal?: AbortSignal } = {}): Promise<void> {
    for await (const batch of this) {
      await onBatch(batch);
      if (options.signal?.aborted) break;
    }
  }

  /** Frames received right now, without waiting; release them with `recycle()`. */
  poll(): XskBatch {
    this.release();
    return this.receiveNow();
  }

  /** Returns the frames of the last poll() batch to the fill ring. */
  recycle(): void {
    this.release();
  }

  /** Copies `frames` into free UMEM frames and queues them for transmission; returns how many were queued. */
  send(frames: readonly Uint8Array[]): number {
    if (this.closed) throw new BpfError("send(): the AF_XDP socket is closed", "EBADF");
    this.reapCompletions();
    const frameSize = this.umem.frames.frameSize;
    let sent = 0;
    while (sent < frames.length) {
      const want = Math.min(frames.length - sent, this.txDescs.length / 2);
      const got = this.umem.frames.take(this.scratch, want, FrameAllocator.Transmit);
      if (!got) break;
      for (let i = 0; i < got; i++) {
        const data = frames[sent + i]!;
        if (data.length > frameSize) throw new BpfError(`send(): a frame of ${data.length} bytes does not fit a ${frameSize}-byte UMEM frame`, "EMSGSIZE");
        const addr = this.scratch[i]!;
        if (this.umem.buffer) new Uint8Array(this.umem.buffer, addr, data.length).set(data);
        else native().umemWrite(this.umem.handle, addr, data);
        this.txDescs[2 * i] = addr;
        this.txDescs[2 * i + 1] = data.length;
      }
      let queued: number;
      try {
        queued = native().txSubmit(this.socket, this.txDescs, got);
      } catch (error) {
        throw explain(error, `transmit on ${this.ifname} queue ${this.queue}`);
      }
      if (queued < got) this.umem.frames.give(this.scratch.subarray(queued), got - queued, FrameAllocator.Transmit);
      sent += queued;
      this.counters.txPackets += queued;
      if (queued < got) break;
      this.reapCompletions();
    }
    return sent;
  }

  /** Frames the kernel has finished sending go back to the free list. */
  reapCompletions(): number {
    let total = 0;
    for (let round = 0; round < 64; round++) {
      const n = native().completionReap(this.umem.handle, this.scratch, this.scratch.length);
      if (!n) break;
      this.umem.frames.give(this.scratch, n, FrameAllocator.Transmit);
      total += n;
    }
    return total;
  }

  stats(): XskStats {
    const kernel = this.closed ? { rxDropped: 0, rxInvalidDescs: 0, txInvalidDescs: 0, rxRingFull: 0, rxFillRingEmpty: 0, txRingEmpty: 0 } : native().socketStats(this.socket);
    return { ...this.counters, ...kernel };
  }

  /** Where every UMEM frame is (free, fill ring, held by a batch, in flight on TX); they add up. */
  frameAccounting(): { free: number; fill: number; received: number; transmit: number } {
    return this.umem.frames.check();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const n = native();
    // Map entries hold the socket: remove them first, or the queue stays busy until the
    // kernel frees the map (asynchronously, after the program goes).
    for (const undo of this.cleanup.reverse()) {
      try {
        undo();
      } catch {
        // closing what is already gone
      }
    }
    n.socketDelete(this.socket);
    this.umem.users--;
    if (this.umem.users === 0) n.umemDelete(this.umem.handle);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

function registerInMap(mapFd: number, queue: number, socketFd: number): void {
  const key = new Uint8Array(new Uint32Array([queue]).buffer);
  const value = new Uint8Array(new Uint32Array([socketFd]).buffer);
  try {
    native().mapUpdate(mapFd, key, value, 0);
  } catch (error) {
    throw explain(error, `register the AF_XDP socket in the XskMap at key ${queue}`);
  }
}

function unregisterFromMap(mapFd: number, queue: number): void {
  native().mapDelete(mapFd, new Uint8Array(new Uint32Array([queue]).buffer));
}

function queueCount(ifname: string): number | undefined {
  try {
    return fs.readdirSync(`/sys/class/net/${ifname}/queues`).filter((q) => q.startsWith("rx-")).length;
  } catch {
    return undefined;
  }
}

function bindError(error: unknown, ifname: string, queue: number, mode: string): BpfError {
  const errno = (error as { errno?: number }).errno;
  if (errno === 95 && mode === "zerocopy") {
    return new BpfError(`AF_XDP zero-copy is not supported by ${ifname}'s driver (EOPNOTSUPP): use mode "copy", or "auto" to fall back`, "EOPNOTSUPP", { errno, cause: error });
  }
  if (errno === 22) {
    const queues = queueCount(ifname);
    return new BpfError(`cannot bind an AF_XDP socket to ${ifname} queue ${queue}${queues !== undefined ? `: ${ifname} has ${queues} receive queue${queues === 1 ? "" : "s"} (0…${queues - 1})` : ""}`, "EINVAL", { errno, cause: error });
  }
  if (errno === 16) return new BpfError(`queue ${queue} of ${ifname} is already used by another AF_XDP socket (EBUSY): close it, or share its UMEM with shareUmemWith`, "EBUSY", { errno, cause: error });
  return explain(error, `bind an AF_XDP socket to ${ifname} queue ${queue}`, { ifname });
}

/**
 * `return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);` as BPF instructions:
 * six instructions are not worth a compiler run (or an LLVM dependency) at run time.
 */
function redirectProgram(mapFd: number): Uint8Array {
  const insns = new DataView(new ArrayBuffer(6 * 8));
  const put = (i: number, code: number, dst: number, src: number, off: number, imm: number) => {
    insns.setUint8(i * 8, code);
    insns.setUint8(i * 8 + 1, (src << 4) | dst);
    insns.setInt16(i * 8 + 2, off, true);
    insns.setInt32(i * 8 + 4, imm, true);
  };
  put(0, 0x61, 2, 1, 16, 0); // r2 = *(u32 *)(r1 + 16)   ; ctx->rx_queue_index
  put(1, 0x18, 1, 1, 0, mapFd); // r1 = map fd (ld_imm64, BPF_PSEUDO_MAP_FD)
  put(2, 0x00, 0, 0, 0, 0);
  put(3, 0xb7, 3, 0, 0, 2); // r3 = XDP_PASS (the fallback)
  put(4, 0x85, 0, 0, 0, 51); // call bpf_redirect_map
  put(5, 0x95, 0, 0, 0, 0); // exit
  return new Uint8Array(insns.buffer);
}
