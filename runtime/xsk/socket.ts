// XskSocket: an AF_XDP socket bound to (interface, queue), with its UMEM, the four rings
// and a frame allocator. Received frames come in batches of zero-copy views into the UMEM,
// valid until the batch is released (the next iteration); they then go back to the fill
// ring in the same native call that fetches the next batch. Transmit copies into free
// frames and reaps completions. A UMEM shared by several sockets has one fill/completion
// ring pair per (interface, queue) — see frames.ts for how frames are tracked per ring.
import fs from "node:fs";
import { native } from "../native.js";
import { BpfError, errnoName, explain } from "../errors.js";
import { ifindexOf } from "../program.js";
import { BpfMap } from "../map.js";
import { codecFromLayout } from "../codec.js";
import { FrameAllocator } from "./frames.js";
import { bindAttempts, fallsBackToCopy, type XskMode } from "./mode.js";
import {
  BPF_FUNC_redirect_map,
  BPF_PROG_TYPE_XDP,
  Errno,
  MapType,
  SocketOption,
  UpdateFlags,
  XdpFlags,
  XdpMd,
  XskBindFlags,
} from "../kernel.js";
import { callHelper, encode, exit, loadMapFd, loadU32, movImm } from "../bpf-insn.js";
import { XDP } from "../xdp.js";
import "../dispose.js";

const { EACCES, EBUSY, EEXIST, EINVAL, EOPNOTSUPP, EPERM } = Errno;
const { SOL_SOCKET, SO_BUSY_POLL, SO_PREFER_BUSY_POLL, SO_BUSY_POLL_BUDGET } = SocketOption;
/** Keys of the default program's XskMap: queue ids 0…1023. */
const DEFAULT_MAP_ENTRIES = 1024;

export interface XskBusyPoll {
  /** SO_BUSY_POLL: microseconds to busy-poll the device queue in a receive (default 20). */
  timeoutUs?: number;
  /** SO_BUSY_POLL_BUDGET: packets per busy-poll round (default 64; above 8 needs CAP_NET_ADMIN). */
  budget?: number;
  /** SO_PREFER_BUSY_POLL: keep interrupts off while the application polls (default true). */
  prefer?: boolean;
}

export interface XskOptions {
  ifname: string;
  queue?: number;
  /** UMEM size: frames × frameSize bytes. */
  frames?: number;
  /** A power of two, 2048…65536. */
  frameSize?: number;
  mode?: XskMode;
  /** Your program's XskMap (any map object with an `fd`): the socket is registered at key = queue. */
  xskMap?: { readonly fd: number };
  /** How tsxdp's default redirect program is attached when there is no xskMap. */
  attachMode?: "native" | "generic";
  rxSize?: number;
  txSize?: number;
  /** Frames per received batch (at most; default 256). */
  batchSize?: number;
  /** XDP_USE_NEED_WAKEUP (default true): the kernel says when it needs a kick, so TX and RX skip needless syscalls. */
  needWakeup?: boolean;
  /**
   * Busy polling of the device queue (SO_BUSY_POLL, SO_PREFER_BUSY_POLL, SO_BUSY_POLL_BUDGET).
   * Drivers without a NAPI id for the queue (veth) accept it and carry on as before.
   */
  busyPoll?: XskBusyPoll | boolean;
  /**
   * Microseconds to let frames gather after a part batch before waiting again (default 100;
   * 0 for the lowest latency). Under load this makes batches larger and wake-ups fewer. The
   * pause is a timer on the event loop's thread, so it is as long as asked.
   */
  coalesceUs?: number;
  /**
   * Share the UMEM of another socket (on another queue or interface). Each (interface,
   * queue) gets its own fill and completion rings; frames are shared. The UMEM is freed when
   * the last socket using it closes.
   */
  shareUmemWith?: XskSocket;
}

export interface XskStats {
  rxPackets: number;
  rxBatches: number;
  /** Times the receive loop found no frames and waited on the event loop. */
  rxWaits: number;
  /** Frames the kernel has transmitted: completions, less the descriptors it found invalid (those come back unsent). */
  txPackets: number;
  /** Frames back from the kernel on the completion ring (transmitted or not). */
  txCompleted: number;
  /** Frames queued on the TX ring by send() and transmit(). */
  txQueued: number;
  /** sendto() kicks: with need_wakeup only when the kernel asked. */
  txKicks: number;
  rxDropped: number;
  rxInvalidDescs: number;
  txInvalidDescs: number;
  rxRingFull: number;
  rxFillRingEmpty: number;
  txRingEmpty: number;
}

/**
 * A batch of received frames: views into the UMEM, valid until the batch is released (the
 * loop moves on, or recycle() after poll()). The array itself is reused for a later batch of
 * the same length: keep frames (or copies of them), not the array, past the iteration.
 */
export type XskBatch = Uint8Array[];

/** One fill/completion ring pair of a UMEM: one per (interface, queue) it serves. */
interface Ring {
  readonly id: number;
  readonly key: string;
  sockets: number;
  readonly fillTarget: number;
}

interface Umem {
  readonly handle: unknown;
  /** Absent when frames are copied (runtimes without external ArrayBuffers, or forced). */
  readonly buffer?: ArrayBuffer;
  readonly frames: FrameAllocator;
  readonly fillSize: number;
  users: number;
  closed: boolean;
  readonly rings: Map<string, Ring>;
  /** The last view made of each frame: reused while a frame keeps its offset and length. */
  readonly views: (Uint8Array | undefined)[];
  /** Per frame, the view's (offset in frame << 16 | length), kept by rxBatch, which flags a change. */
  readonly viewKeys: Uint32Array;
  /** Per frame, its position in the batch that received it (written by rxBatch, read by txBatch). */
  readonly heldSlots: Uint32Array;
}

/** What a reused batch array holds before its first use. */
const EMPTY = new Uint8Array(0);

/** rxBatch's flag on a received frame whose view must be made anew. */
const VIEW_MISS = 0x80000000;
/** A held frame that left its batch before the batch's release (transmitted, or released by the caller). */
const HELD_GONE = 0xffffffff;

/** txBatch's counters (native/src/xsk.c): in, in/out, out. */
const TxIo = { heldCount: 0, freeCount: 1, fillRoom: 2, inFlight: 3, queued: 4, leftBatch: 5, completedFill: 6, completedFree: 7 } as const;

/** `TSXDP_XSK_COPY_FRAMES=1` forces the copying path that runtimes without external ArrayBuffers use. */
function externalBuffersWanted(): boolean {
  return !["1", "true", "yes"].includes((process.env.TSXDP_XSK_COPY_FRAMES ?? "").toLowerCase());
}

// Sockets dropped without close(): their map entries and shares of the default program go
// when they are collected (the addon frees the socket and UMEM themselves).
const abandoned = new FinalizationRegistry<(() => void)[]>((cleanup) => runCleanup(cleanup));

function runCleanup(cleanup: (() => void)[]): void {
  for (const undo of cleanup.splice(0).reverse()) {
    try {
      undo();
    } catch {
      // closing what is already gone
    }
  }
}

export class XskSocket implements AsyncDisposable, Disposable {
  private closed = false;
  private readonly closing = new AbortController();
  private readonly rxDescs: Uint32Array;
  /** Frame indices of the held batch (| VIEW_MISS): what goes back to the fill ring. */
  private readonly heldFrames: Uint32Array;
  private readonly scratch: Uint32Array;
  private readonly txDescs: Uint32Array;
  private counters = { rxPackets: 0, rxBatches: 0, rxWaits: 0, txCompleted: 0, txQueued: 0 };
  private readonly txIo = new Uint32Array(8);
  /** Copies handed out on the copying fallback, by the UMEM address they came from (transmit writes them back). */
  private readonly copiedFrom = new WeakMap<Uint8Array, number>();
  /** Batch arrays by length (see receiveNow). */
  private readonly batchArrays: XskBatch[] = [];
  /** Entries of heldFrames: the batch the user holds, returned to the fill ring on release. */
  private held = 0;
  /** Entries of heldFrames that left the batch (HELD_GONE): transmitted or released early. */
  private heldGone = 0;
  /** Pause before waiting again after a part batch (XskOptions.coalesceUs). */
  coalesceUs = 100;
  private readonly fillPlace: number;
  private readonly receivedPlace: number;
  private readonly transmitPlace: number;

  private constructor(
    readonly ifname: string,
    readonly queue: number,
    readonly mode: "copy" | "zerocopy",
    private readonly socket: unknown,
    private readonly umem: Umem,
    private readonly ring: Ring,
    private readonly batchSize: number,
    private readonly cleanup: (() => void)[],
  ) {
    this.rxDescs = new Uint32Array(batchSize * 2);
    this.heldFrames = new Uint32Array(batchSize);
    this.scratch = new Uint32Array(Math.max(batchSize, 256));
    this.txDescs = new Uint32Array(Math.max(batchSize, 256) * 2);
    this.fillPlace = FrameAllocator.place(FrameAllocator.Fill, ring.id);
    this.receivedPlace = FrameAllocator.place(FrameAllocator.Received, ring.id);
    this.transmitPlace = FrameAllocator.place(FrameAllocator.Transmit, ring.id);
  }

  /** "umem" when frames are zero-copy views into the UMEM, "copies" on the copying fallback. */
  get frameViews(): "umem" | "copies" {
    return this.umem.buffer ? "umem" : "copies";
  }

  static async open(options: XskOptions): Promise<XskSocket> {
    const queue = options.queue ?? 0;
    const frames = options.frames ?? 4096;
    const frameSize = options.frameSize ?? 2048;
    const rxSize = options.rxSize ?? 2048;
    const txSize = options.txSize ?? 2048;
    const batchSize = options.batchSize ?? 256;
    const wanted = options.mode ?? "auto";
    // A queue id is a u32 in the kernel: 2 ** 32 + 1 would otherwise bind queue 1.
    if (!Number.isInteger(queue) || queue < 0 || queue > 0xffff_ffff)
      throw new BpfError(`XskSocket.open(): queue must be an integer from 0 to 4294967295, not ${queue}`, "EINVAL");
    // Descriptors cross as 32-bit addresses.
    if (frames * frameSize > 2 ** 32)
      throw new BpfError(`XskSocket.open(): a UMEM of ${frames} × ${frameSize} bytes exceeds 4 GiB`, "EINVAL");
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 32768)
      throw new BpfError(`XskSocket.open(): batchSize must be an integer 1…32768, not ${batchSize}`, "EINVAL");
    const attempts = bindAttempts(wanted);
    const coalesceUs = options.coalesceUs ?? 100;
    if (!Number.isInteger(coalesceUs) || coalesceUs < 0 || coalesceUs > 10000)
      throw new BpfError(`XskSocket.open(): coalesceUs must be an integer 0…10000, not ${coalesceUs}`, "EINVAL");
    const busyPoll = busyPollSettings(options.busyPoll);
    const ifindex = ifindexOf(options.ifname);
    const n = native();

    let umem: Umem;
    const shared = options.shareUmemWith;
    if (shared) {
      if (shared.closed || shared.umem.closed) throw new BpfError("XskSocket.open(): shareUmemWith names a closed socket", "EBADF");
      umem = shared.umem;
    } else {
      try {
        const created = n.umemCreate(frames, frameSize, rxSize, txSize, 0, externalBuffersWanted());
        umem = {
          handle: created.handle,
          buffer: created.buffer,
          frames: new FrameAllocator(frames, frameSize),
          fillSize: rxSize,
          users: 0,
          closed: false,
          rings: new Map(),
          views: new Array(frames),
          viewKeys: new Uint32Array(frames).fill(0xffffffff),
          heldSlots: new Uint32Array(frames),
        };
      } catch (error) {
        throw explain(error, `create a UMEM of ${frames} × ${frameSize} bytes`);
      }
    }
    const ringKey = `${options.ifname}/${queue}`;
    const existingRing = umem.rings.get(ringKey);
    const ring = existingRing ?? newRing(umem, ringKey);

    const wakeup = options.needWakeup === false ? 0 : XskBindFlags.USE_NEED_WAKEUP;
    const bindOnce = (flags: number) => n.socketCreate(umem.handle, options.ifname, queue, rxSize, txSize, flags | wakeup);
    // The kernel releases a closed socket's hold on its queue asynchronously (a deferred
    // work item), so a queue closed a moment ago can still be busy: retry briefly.
    const tryBind = async (flags: number): Promise<unknown> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return bindOnce(flags);
        } catch (error) {
          if ((error as { errno?: number }).errno !== EBUSY || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    };
    let socket: unknown;
    let mode: "copy" | "zerocopy" | undefined;
    try {
      for (const attempt of attempts) {
        try {
          socket = await tryBind(attempt === "zerocopy" ? XskBindFlags.ZEROCOPY : XskBindFlags.COPY);
          mode = attempt;
          break;
        } catch (error) {
          if (!fallsBackToCopy(wanted, attempt, (error as { errno?: number }).errno)) throw error;
        }
      }
    } catch (error) {
      if (!shared && umem.users === 0) {
        n.umemDelete(umem.handle);
        umem.closed = true;
      }
      throw bindError(error, options.ifname, queue, wanted);
    }
    umem.users++;
    if (!existingRing) umem.rings.set(ringKey, ring);
    ring.sockets++;
    const cleanup: (() => void)[] = [];
    const xsk = new XskSocket(options.ifname, queue, mode!, socket, umem, ring, batchSize, cleanup);
    xsk.coalesceUs = coalesceUs;
    abandoned.register(xsk, cleanup, xsk);
    try {
      if (busyPoll) xsk.setBusyPoll(busyPoll);
      const fd = n.socketFd(socket);
      if (options.xskMap) {
        const mapFd = options.xskMap.fd;
        registerInMap(mapFd, queue, fd);
        cleanup.push(() => unregisterFromMap(mapFd, queue));
      } else {
        attachDefaultProgram(options.ifname, ifindex, queue, fd, options.attachMode, cleanup);
      }
      xsk.refill();
    } catch (error) {
      xsk.close();
      throw error;
    }
    return xsk;
  }

  private setBusyPoll(settings: Required<XskBusyPoll>): void {
    const n = native();
    const set = (name: number, label: string, value: number) => {
      try {
        n.socketSetOption(this.socket, SOL_SOCKET, name, value);
      } catch (error) {
        const errno = (error as { errno?: number }).errno;
        if (errno === EPERM || errno === EACCES) {
          throw new BpfError(
            `busy polling on ${this.ifname} queue ${this.queue}: ${label} = ${value} needs CAP_NET_ADMIN (above net.core.busy_read, or a budget above 8)`,
            "EPERM",
            { errno, cause: error },
          );
        }
        throw explain(error, `busy polling on ${this.ifname} queue ${this.queue}: set ${label} = ${value}`);
      }
    };
    set(SO_PREFER_BUSY_POLL, "SO_PREFER_BUSY_POLL", settings.prefer ? 1 : 0);
    set(SO_BUSY_POLL, "SO_BUSY_POLL", settings.timeoutUs);
    set(SO_BUSY_POLL_BUDGET, "SO_BUSY_POLL_BUDGET", settings.budget);
  }

  /** Tops this socket's fill ring up to its target from the free frames. */
  private refill(): void {
    for (let round = 0; round < 64 && !this.closed; round++) {
      const room = this.ring.fillTarget - this.umem.frames.counts[this.fillPlace]!;
      if (room <= 0) return;
      const n = this.umem.frames.take(this.scratch, Math.min(room, this.scratch.length), this.fillPlace);
      if (!n) return;
      const submitted = native().fillSubmit(this.socket, this.scratch, n);
      if (submitted < n) {
        this.umem.frames.give(this.scratch.subarray(submitted), n - submitted, this.fillPlace);
        return;
      }
    }
  }

  /**
   * Releases the held batch and takes the next (at most `max` frames) in one native call;
   * the new frames are held by the caller.
   */
  private exchange(max: number): number {
    const frames = this.umem.frames;
    // The native call drops the entries that left the batch, then checks and moves every
    // frame in the allocator's table: released ones from received to this ring's fill ring,
    // received ones from the fill ring to received.
    const release = this.held - this.heldGone;
    const r = this.rxBatch(this.held, max);
    this.held = 0;
    this.heldGone = 0;
    let received = r & 0xffff;
    const submitted = r >>> 16;
    frames.moved(submitted, this.receivedPlace, this.fillPlace);
    if (submitted < release) {
      // A full fill ring: keep the rest as free frames (used for TX or the next refill).
      this.giveHeld(submitted, release);
      if (max > 0) received = this.rxBatch(0, max) & 0xffff;
    }
    if (received) {
      frames.moved(received, this.fillPlace, this.receivedPlace);
      this.held = received;
      this.counters.rxPackets += received;
      this.counters.rxBatches++;
    }
    return received;
  }

  private rxBatch(release: number, max: number): number {
    const frames = this.umem.frames;
    try {
      return native().rxBatch(
        this.socket,
        frames.places,
        this.fillPlace,
        this.receivedPlace,
        this.heldFrames,
        release,
        this.rxDescs,
        this.umem.viewKeys,
        this.umem.heldSlots,
        max,
      );
    } catch (error) {
      const e = error as { frame?: number; found?: number; expected?: number };
      if (typeof e.frame === "number") throw frames.violation(e.frame, e.found!, e.expected!);
      throw error;
    }
  }

  /** Frames received now (at most batchSize), as views (or copies), held by the caller. */
  private receiveNow(): XskBatch {
    if (this.closed) return [];
    const n = this.exchange(this.batchSize);
    if (n === 0) return [];
    // One array per batch length, reused: a batch is valid only until the next one anyway.
    let batch = this.batchArrays[n];
    if (batch === undefined) this.batchArrays[n] = batch = new Array<Uint8Array>(n).fill(EMPTY);
    const { buffer, views } = this.umem;
    const descs = this.rxDescs;
    const held = this.heldFrames;
    if (buffer) {
      for (let i = 0; i < n; i++) {
        // Same frame, same offset and length (fixed-size traffic): the view from last time
        // shows the same bytes, so no new object per frame. rxBatch flags the others.
        const entry = held[i]!;
        const view = entry < VIEW_MISS ? views[entry] : undefined;
        batch[i] = view !== undefined ? view : this.newView(i);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const copy = native().umemRead(this.umem.handle, descs[2 * i]!, descs[2 * i + 1]!);
        this.copiedFrom.set(copy, descs[2 * i]!);
        batch[i] = copy;
      }
    }
    return batch;
  }

  /** A view of the i-th received frame (a frame flagged by rxBatch, or one without a view yet). */
  private newView(i: number): Uint8Array {
    const index = (this.heldFrames[i]! & ~VIEW_MISS) >>> 0;
    const view = new Uint8Array(this.umem.buffer!, this.rxDescs[2 * i]!, this.rxDescs[2 * i + 1]!);
    this.umem.views[index] = view;
    return view;
  }

  /** Frees held frames [from, to) (back from received to the free list), skipping those that left the batch. */
  private giveHeld(from: number, to: number): void {
    const frameSize = this.umem.frames.frameSize;
    const addrs = this.scratch;
    let n = 0;
    for (let i = from; i < to; i++) {
      const entry = this.heldFrames[i]!;
      if (entry === HELD_GONE) continue;
      addrs[n++] = ((entry & ~VIEW_MISS) >>> 0) * frameSize;
      if (n === addrs.length) {
        this.umem.frames.give(addrs, n, this.receivedPlace);
        n = 0;
      }
    }
    if (n) this.umem.frames.give(addrs, n, this.receivedPlace);
  }

  /** Returns the held batch's frames to the fill ring. */
  private release(): void {
    if (this.held && !this.closed) this.exchange(0);
  }

  /**
   * Batches of received frames until the socket closes or `signal` aborts (also while no
   * traffic comes); a batch's frames return to the fill ring when the loop moves on.
   * Hand-written rather than an async generator: a batch that is already there costs one
   * resolved promise, not a generator resumption and the awaits of a yield.
   */
  batches(options: { signal?: AbortSignal } = {}): AsyncGenerator<XskBatch, undefined> {
    const signal = options.signal;
    // An abort ends the pending native wait (close() ends it too). Not a race against a
    // "stopped" promise: each race would leave a reaction on it until the socket closes,
    // and an idle receiver waits twenty times a second.
    const wake = () => {
      if (!this.closed) native().waitEnd(this.socket);
    };
    this.closing.signal.addEventListener("abort", wake, { once: true });
    signal?.addEventListener("abort", wake, { once: true });
    const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
    let finished = false;
    let lastBatch = 0;
    let pending: Promise<IteratorResult<XskBatch, undefined>> | undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.closing.signal.removeEventListener("abort", wake);
      signal?.removeEventListener("abort", wake);
      this.release();
    };
    // A batch now, the end, or undefined when nothing has come yet.
    const step = (): IteratorResult<XskBatch, undefined> | undefined => {
      if (finished) return done;
      if (this.closed || signal?.aborted) {
        finish();
        return done;
      }
      const batch = this.receiveNow();
      if (batch.length === 0) return undefined;
      lastBatch = batch.length;
      return { value: batch, done: false };
    };
    const wait = async (): Promise<IteratorResult<XskBatch, undefined>> => {
      try {
        for (;;) {
          this.refill();
          if (this.closed) {
            finish();
            return done;
          }
          native().wakeupRx(this.socket);
          // Traffic just came (a part batch): wait a little for more before waking again.
          const coalesceUs = lastBatch > 0 && lastBatch < this.batchSize ? this.coalesceUs : 0;
          lastBatch = 0;
          this.counters.rxWaits++;
          const state = await native().waitReadable(this.socket, 50, coalesceUs);
          if (state < 0) throw this.receiveError(-state);
          const result = step();
          if (result) return result;
        }
      } catch (error) {
        finish();
        throw error;
      } finally {
        pending = undefined;
      }
    };
    const iterator: AsyncGenerator<XskBatch, undefined> = {
      next: (): Promise<IteratorResult<XskBatch, undefined>> => {
        if (pending) return pending.then(() => iterator.next());
        let result: IteratorResult<XskBatch, undefined> | undefined;
        try {
          result = step();
        } catch (error) {
          finish();
          return Promise.reject(error);
        }
        if (result) return Promise.resolve(result);
        return (pending = wait());
      },
      return: (): Promise<IteratorResult<XskBatch, undefined>> => {
        finish();
        return Promise.resolve(done);
      },
      throw: (error: unknown): Promise<IteratorResult<XskBatch, undefined>> => {
        finish();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]: () => iterator,
      [Symbol.asyncDispose]: async () => {
        finish();
      },
    };
    return iterator;
  }

  [Symbol.asyncIterator](): AsyncGenerator<XskBatch, undefined> {
    return this.batches();
  }

  /** Why a waiting receive ends: the kernel unbinds a socket whose interface is deleted (ENXIO). */
  private receiveError(errno: number): BpfError {
    let gone = false;
    try {
      ifindexOf(this.ifname);
    } catch {
      gone = true;
    }
    if (gone)
      return new BpfError(
        `receive on ${this.ifname} queue ${this.queue}: the interface was deleted (ENODEV); the kernel unbound the AF_XDP socket (${errnoName(errno) ?? errno})`,
        "ENODEV",
        { errno },
      );
    return new BpfError(
      `receive on ${this.ifname} queue ${this.queue}: the AF_XDP socket can no longer receive (${errnoName(errno) ?? `errno ${errno}`}); close it and open a new one`,
      errnoName(errno) ?? "EIO",
      { errno },
    );
  }

  /** The callback form: calls `onBatch` for each batch until the signal aborts (also while idle) or the socket closes. */
  async receive(onBatch: (batch: XskBatch) => void | Promise<void>, options: { signal?: AbortSignal } = {}): Promise<void> {
    for await (const batch of this.batches(options)) await onBatch(batch);
  }

  /** Frames received right now, without waiting (the previous poll()'s frames are released first). */
  poll(): XskBatch {
    const batch = this.receiveNow();
    if (batch.length === 0) this.refill();
    return batch;
  }

  /** Returns the frames of the last poll() batch to the fill ring. */
  recycle(): void {
    this.release();
  }

  /**
   * Takes up to `count` free UMEM frames for the caller to write packets into, in place:
   * views of `length` bytes at the start of each frame (fewer when fewer frames are free,
   * after reaping completions). The frames are the caller's until it passes them to
   * `transmit()` (or gives them back with `releaseFrames()`); a view of the same frame and
   * length is reused, so a frame written once keeps its bytes for the next claim.
   */
  claimFrames(count: number, length = this.umem.frames.frameSize): Uint8Array[] {
    if (this.closed) throw new BpfError("claimFrames(): the AF_XDP socket is closed", "EBADF");
    const frames = this.umem.frames;
    if (!Number.isInteger(count) || count < 0)
      throw new BpfError(`claimFrames(): count must be a non-negative integer, not ${count}`, "EINVAL");
    if (!Number.isInteger(length) || length < 1 || length > frames.frameSize)
      throw new BpfError(`claimFrames(): length must be 1…${frames.frameSize} bytes (the frame size), not ${length}`, "EINVAL");
    if (frames.available < count) this.reapCompletions();
    const out: Uint8Array[] = [];
    const { buffer, views, viewKeys } = this.umem;
    const shift = Math.log2(frames.frameSize);
    while (out.length < count) {
      const n = frames.take(this.scratch, Math.min(count - out.length, this.scratch.length), this.receivedPlace);
      if (!n) break;
      for (let i = 0; i < n; i++) {
        const addr = this.scratch[i]!;
        if (!buffer) {
          const copy = new Uint8Array(length);
          this.copiedFrom.set(copy, addr);
          out.push(copy);
          continue;
        }
        const index = addr >>> shift;
        let view = views[index];
        if (view === undefined || viewKeys[index] !== length) {
          views[index] = view = new Uint8Array(buffer, addr, length);
          viewKeys[index] = length; // offset 0 << 16 | length, as rxBatch keys views
        }
        out.push(view);
      }
    }
    return out;
  }

  /**
   * Queues frames for transmission as they lie in the UMEM, without a copy: frames of the
   * batch being read (forwarding: rewrite, then transmit) or frames from `claimFrames()`,
   * each a view of its packet's bytes (a subarray for a shorter packet). Returns how many
   * were queued, the first ones; the rest stay the caller's. A queued frame is the kernel's:
   * it leaves its batch, must not be touched, and returns to the fill ring (or the free
   * frames) when its transmission completes.
   */
  transmit(frames: readonly Uint8Array[]): number {
    if (this.closed) throw new BpfError("transmit(): the AF_XDP socket is closed", "EBADF");
    const buffer = this.umem.buffer;
    const descs = this.txDescs;
    const chunk = descs.length / 2;
    let sent = 0;
    while (sent < frames.length) {
      const n = Math.min(frames.length - sent, chunk);
      for (let i = 0; i < n; i++) {
        const frame = frames[sent + i]!;
        let addr: number | undefined;
        if (buffer) {
          if (frame.buffer === buffer) addr = frame.byteOffset;
        } else if ((addr = this.copiedFrom.get(frame)) !== undefined) {
          native().umemWrite(this.umem.handle, addr, frame); // the copying fallback: the bytes go back first
        }
        if (addr === undefined)
          throw new BpfError(
            `transmit(): frame ${sent + i} is not a frame of this socket's UMEM (a received or claimed frame); send() copies other bytes`,
            "EINVAL",
          );
        if (frame.length === 0)
          throw new BpfError(`transmit(): frame ${sent + i} is empty (0 bytes); the kernel refuses empty descriptors`, "EINVAL");
        descs[2 * i] = addr;
        descs[2 * i + 1] = frame.length;
      }
      const queued = this.txBatch(n);
      sent += queued;
      if (queued < n) break;
    }
    return sent;
  }

  /** Gives claimed frames (or frames of the current batch) back unsent: they are free again. */
  releaseFrames(frames: readonly Uint8Array[]): void {
    const allocator = this.umem.frames;
    const shift = Math.log2(allocator.frameSize);
    const addrs = new Uint32Array(frames.length);
    frames.forEach((frame, i) => {
      const addr = this.umem.buffer ? (frame.buffer === this.umem.buffer ? frame.byteOffset : undefined) : this.copiedFrom.get(frame);
      if (addr === undefined) throw new BpfError(`releaseFrames(): frame ${i} is not a frame of this socket's UMEM`, "EINVAL");
      addrs[i] = addr;
    });
    allocator.give(addrs, addrs.length, this.receivedPlace);
    for (const addr of addrs) {
      // A frame of the current batch leaves it, so the batch's release skips it.
      const index = addr >>> shift;
      const slot = this.umem.heldSlots[index]!;
      if (slot < this.held && (this.heldFrames[slot]! & ~VIEW_MISS) >>> 0 === index) {
        this.heldFrames[slot] = HELD_GONE;
        this.heldGone++;
      }
    }
  }

  /** Copies `frames` into free UMEM frames and queues them for transmission; returns how many were queued (the first ones). */
  send(frames: readonly Uint8Array[]): number {
    if (this.closed) throw new BpfError("send(): the AF_XDP socket is closed", "EBADF");
    const umem = this.umem;
    const frameSize = umem.frames.frameSize;
    frames.forEach((data, i) => {
      if (!(data instanceof Uint8Array)) throw new BpfError("send(): frames must be Uint8Arrays", "EINVAL");
      if (data.length === 0) throw new BpfError(`send(): frame ${i} is empty (0 bytes); the kernel refuses empty descriptors`, "EINVAL");
      if (data.length > frameSize)
        throw new BpfError(`send(): a frame of ${data.length} bytes does not fit a ${frameSize}-byte UMEM frame`, "EMSGSIZE");
    });
    const n = native();
    const allocator = umem.frames;
    let sent = 0;
    while (sent < frames.length) {
      const want = Math.min(frames.length - sent, this.txDescs.length / 2);
      if (allocator.available < want) this.reapCompletions();
      const got = allocator.take(this.scratch, want, this.receivedPlace);
      if (!got) break;
      for (let i = 0; i < got; i++) {
        const data = frames[sent + i]!;
        const addr = this.scratch[i]!;
        if (umem.buffer) new Uint8Array(umem.buffer, addr, data.length).set(data);
        else n.umemWrite(umem.handle, addr, data);
        this.txDescs[2 * i] = addr;
        this.txDescs[2 * i + 1] = data.length;
      }
      let queued: number;
      try {
        queued = this.txBatch(got);
      } catch (error) {
        allocator.give(this.scratch, got, this.receivedPlace);
        throw error;
      }
      if (queued < got) allocator.give(this.scratch.subarray(queued), got - queued, this.receivedPlace);
      sent += queued;
      if (queued < got) break;
    }
    return sent;
  }

  /** Frames the kernel has finished sending go back to the fill ring or the free frames; returns how many. */
  reapCompletions(): number {
    if (this.closed) return 0;
    let total = 0;
    for (let round = 0; round < 64; round++) {
      const before = this.counters.txCompleted;
      this.txBatch(0);
      const n = this.counters.txCompleted - before;
      if (!n) break;
      total += n;
    }
    return total;
  }

  /**
   * One native call for TX: queue descriptors txDescs[0…count) (their frames move from held
   * to in flight, leaving the batch), kick the kernel if it asks, and take back completed
   * frames (onto the fill ring while it has room, else the free stack).
   */
  private txBatch(count: number): number {
    const frames = this.umem.frames;
    const io = this.txIo;
    io[TxIo.heldCount] = this.held;
    io[TxIo.freeCount] = frames.available;
    io[TxIo.fillRoom] = Math.max(0, this.ring.fillTarget - frames.counts[this.fillPlace]!);
    io[TxIo.inFlight] = frames.counts[this.transmitPlace]!;
    let failure: unknown;
    try {
      native().txBatch(
        this.socket,
        frames.places,
        this.receivedPlace,
        this.transmitPlace,
        this.fillPlace,
        this.heldFrames,
        this.umem.heldSlots,
        frames.freeStack,
        io,
        this.txDescs,
        count,
      );
    } catch (error) {
      failure = error; // the counters still say what moved before it
    }
    const queued = io[TxIo.queued]!;
    frames.moved(queued, this.receivedPlace, this.transmitPlace);
    this.heldGone += io[TxIo.leftBatch]!;
    this.counters.txQueued += queued;
    const toFill = io[TxIo.completedFill]!;
    const toFree = io[TxIo.completedFree]!;
    frames.moved(toFill, this.transmitPlace, this.fillPlace);
    frames.pushedFree(toFree, this.transmitPlace);
    this.counters.txCompleted += toFill + toFree;
    if (failure !== undefined) {
      const e = failure as { frame?: number; found?: number; expected?: number };
      if (typeof e.frame === "number") throw frames.violation(e.frame, e.found!, e.expected!);
      throw explain(failure, `transmit on ${this.ifname} queue ${this.queue}`);
    }
    return queued;
  }

  stats(): XskStats {
    const kernel = this.closed
      ? { rxDropped: 0, rxInvalidDescs: 0, txInvalidDescs: 0, rxRingFull: 0, rxFillRingEmpty: 0, txRingEmpty: 0, txKicks: 0 }
      : native().socketStats(this.socket);
    // The kernel completes the descriptors it finds invalid without sending them.
    return { ...this.counters, txPackets: Math.max(0, this.counters.txCompleted - kernel.txInvalidDescs), ...kernel };
  }

  /** Where every UMEM frame is (free, fill rings, held by batches, in flight on TX); they add up. */
  frameAccounting(): { free: number; fill: number; received: number; transmit: number } {
    return this.umem.frames.check();
  }

  /**
   * Unbinds the socket; the last socket of a UMEM frees it, and views of its frames then
   * read as empty (the ArrayBuffer is detached) instead of touching freed memory.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    abandoned.unregister(this);
    const n = native();
    // Map entries hold the socket: remove them first, or the queue stays busy until the
    // kernel frees the map (asynchronously, after the program goes).
    runCleanup(this.cleanup);
    n.socketDelete(this.socket);
    const { umem, ring } = this;
    if (this.held) this.giveHeld(0, this.held);
    this.held = 0;
    // The kernel dropped this ring pair with its last socket: its frames are free again.
    if (--ring.sockets === 0) {
      umem.rings.delete(ring.key);
      umem.frames.reclaim(ring.id);
    }
    if (--umem.users === 0) {
      umem.closed = true;
      umem.views.fill(undefined);
      umem.viewKeys.fill(0xffffffff);
      n.umemDelete(umem.handle);
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

function newRing(umem: Umem, key: string): Ring {
  const used = new Set([...umem.rings.values()].map((r) => r.id));
  let id = 0;
  while (used.has(id)) id++;
  if (id >= FrameAllocator.MaxRings) throw new BpfError(`a UMEM serves at most ${FrameAllocator.MaxRings} (interface, queue)s`, "ENOSPC");
  return { id, key, sockets: 0, fillTarget: Math.min(umem.fillSize, Math.floor(umem.frames.frames / 2)) };
}

/** Validated busy-poll settings with defaults, or undefined when off. */
export function busyPollSettings(option: XskBusyPoll | boolean | undefined): Required<XskBusyPoll> | undefined {
  if (option === undefined || option === false) return undefined;
  const o = option === true ? {} : option;
  const timeoutUs = o.timeoutUs ?? 20;
  const budget = o.budget ?? 64;
  const prefer = o.prefer ?? true;
  if (!Number.isInteger(timeoutUs) || timeoutUs < 0 || timeoutUs > 0x7fffffff)
    throw new BpfError(`busyPoll.timeoutUs must be an integer number of microseconds 0…2147483647, not ${timeoutUs}`, "EINVAL");
  if (!Number.isInteger(budget) || budget < 1 || budget > 65535)
    throw new BpfError(`busyPoll.budget must be an integer 1…65535 (packets per poll), not ${budget}`, "EINVAL");
  if (typeof prefer !== "boolean") throw new BpfError(`busyPoll.prefer must be true or false, not ${String(prefer)}`, "EINVAL");
  return { timeoutUs, budget, prefer };
}

/**
 * tsxdp's own redirect program (libxdp's dispatcher needs freplace, which not every kernel
 * has): one per interface for the whole process — every thread's sockets on that interface
 * register in its XskMap at their queue id — and gone with the last of them.
 */
function attachDefaultProgram(
  ifname: string,
  ifindex: number,
  queue: number,
  socketFd: number,
  attachMode: "native" | "generic" | undefined,
  cleanup: (() => void)[],
): void {
  if (queue >= DEFAULT_MAP_ENTRIES)
    throw new BpfError(
      `queue ${queue}: tsxdp's default redirect program serves queues 0…${DEFAULT_MAP_ENTRIES - 1}; bring your own program and xskMap`,
      "EINVAL",
    );
  const n = native();
  const key = `xsk-redirect:${netnsId()}:${ifindex}`;
  let fds: number[];
  try {
    fds = n.sharedAcquire(key, () => {
      const mapFd = n.mapCreate(MapType.XSKMAP, 4, 4, DEFAULT_MAP_ENTRIES, "tsxdp_xsks");
      let progFd = -1;
      try {
        progFd = n.progLoadRaw(BPF_PROG_TYPE_XDP, redirectProgram(mapFd), "GPL", "tsxdp_xsk");
        const linkFd = n.xdpLinkCreate(
          progFd,
          ifindex,
          attachMode === "generic" ? XdpFlags.SKB_MODE : attachMode === "native" ? XdpFlags.DRV_MODE : 0,
        );
        return [linkFd, progFd, mapFd];
      } catch (error) {
        if (progFd >= 0) n.close(progFd);
        n.close(mapFd);
        throw error;
      }
    });
  } catch (error) {
    throw explain(error, `attach the AF_XDP redirect program to ${ifname}`, { ifname, attach: true });
  }
  const mapFd = fds[2]!;
  cleanup.push(() => {
    for (const fd of n.sharedRelease(key)) n.close(fd);
  });
  // The default program redirects a queue to one socket: a second socket on the same queue
  // would silently take its traffic (BPF_ANY replaces the entry), so it is refused.
  try {
    registerInMap(mapFd, queue, socketFd, UpdateFlags.NOEXIST);
  } catch (error) {
    if ((error as { errno?: number }).errno === EEXIST) {
      throw new BpfError(
        `queue ${queue} of ${ifname} already has an AF_XDP socket in this process on tsxdp's default redirect program, which sends a queue's traffic to one socket; close that one first, or share the queue through your own program and XskMap (xskMap option)`,
        "EBUSY",
        { errno: EEXIST, cause: error },
      );
    }
    throw error;
  }
  cleanup.push(() => unregisterFromMap(mapFd, queue));
}

function netnsId(): string {
  try {
    return String(fs.statSync("/proc/thread-self/ns/net").ino);
  } catch {
    return "?";
  }
}

/** An XskMap known by fd: queue id → AF_XDP socket fd. */
function xskMap(mapFd: number): BpfMap<number, number> {
  return BpfMap.fromFd<number, number>(mapFd, { keyCodec: u32Codec, valueCodec: u32Codec });
}
const u32Codec = codecFromLayout({ kind: "int", bits: 32, signed: false });

function registerInMap(mapFd: number, queue: number, socketFd: number, flags: number = UpdateFlags.ANY): void {
  using map = xskMap(mapFd);
  try {
    map.set(queue, socketFd, flags);
  } catch (error) {
    throw explain((error as Error).cause ?? error, `register the AF_XDP socket in the XskMap at key ${queue}`);
  }
}

function unregisterFromMap(mapFd: number, queue: number): void {
  using map = xskMap(mapFd);
  map.delete(queue);
}

function queueCount(ifname: string): number | undefined {
  try {
    return fs.readdirSync(`/sys/class/net/${ifname}/queues`).filter((q) => q.startsWith("rx-")).length;
  } catch {
    return undefined;
  }
}

function bindError(error: unknown, ifname: string, queue: number, mode: string): BpfError {
  if (error instanceof BpfError) return error;
  const errno = (error as { errno?: number }).errno;
  if (errno === EOPNOTSUPP && mode === "zerocopy") {
    return new BpfError(
      `AF_XDP zero-copy is not supported by ${ifname}'s driver (EOPNOTSUPP): use mode "copy", or "auto" to fall back`,
      "EOPNOTSUPP",
      { errno, cause: error },
    );
  }
  if (errno === EINVAL) {
    const queues = queueCount(ifname);
    return new BpfError(
      `cannot bind an AF_XDP socket to ${ifname} queue ${queue}${queues !== undefined ? `: ${ifname} has ${queues} receive queue${queues === 1 ? "" : "s"} (0…${queues - 1})` : ""}`,
      "EINVAL",
      { errno, cause: error },
    );
  }
  if (errno === EBUSY)
    return new BpfError(
      `queue ${queue} of ${ifname} is already used by another AF_XDP socket (EBUSY): close it, or share its UMEM with shareUmemWith`,
      "EBUSY",
      { errno, cause: error },
    );
  return explain(error, `bind an AF_XDP socket to ${ifname} queue ${queue}`, { ifname });
}

/**
 * `return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);` as BPF instructions:
 * six instructions are not worth a compiler run (or an LLVM dependency) at run time.
 */
function redirectProgram(mapFd: number): Uint8Array {
  return encode([
    loadU32(2, 1, XdpMd.rxQueueIndex), // r2 = ctx->rx_queue_index
    loadMapFd(1, mapFd), // r1 = the XskMap
    movImm(3, XDP.PASS), // r3 = the fallback verdict
    callHelper(BPF_FUNC_redirect_map),
    exit(),
  ]);
}
