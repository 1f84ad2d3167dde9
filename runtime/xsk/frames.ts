// The UMEM frame allocator: every frame is in exactly one place — free (for TX), on a fill
// ring (waiting for RX), held (by a batch the user has not released, or claimed for writing), or in
// flight on TX. A UMEM shared by sockets on several (interface, queue)s has one fill and one
// completion ring per (interface, queue), so each place but "free" also names its ring:
// a frame filled on ring A and seen on ring B is caught. `check()` verifies the accounting;
// tests run it under load.
export class FrameAllocator {
  private readonly free: Uint32Array;
  private freeCount = 0;
  /** Where each frame is, by frame index: kind | ring << 2 (see `place`). */
  private readonly owner: Uint8Array;
  /** Frames per place, kept as frames move. */
  readonly counts = new Int32Array(256);

  static readonly Free = 0;
  static readonly Fill = 1;
  static readonly Received = 2;
  static readonly Transmit = 3;
  /** Rings one UMEM can serve (the place code is a byte). */
  static readonly MaxRings = 64;

  /** The place code of `kind` (Fill, Received, Transmit) on ring `ring`. */
  static place(kind: number, ring: number): number {
    return kind === FrameAllocator.Free ? 0 : kind | (ring << 2);
  }

  /** log2(frameSize), or -1 when it is not a power of two. */
  private readonly shift: number;

  constructor(
    readonly frames: number,
    readonly frameSize: number,
  ) {
    if (!Number.isInteger(frames) || frames <= 0 || !Number.isInteger(frameSize) || frameSize <= 0)
      throw new RangeError(`FrameAllocator(${frames}, ${frameSize}): positive integers expected`);
    this.shift = (frameSize & (frameSize - 1)) === 0 ? Math.log2(frameSize) : -1;
    this.free = new Uint32Array(frames);
    this.owner = new Uint8Array(frames);
    for (let i = frames - 1; i >= 0; i--) this.free[this.freeCount++] = i * frameSize;
    this.counts[FrameAllocator.Free] = frames;
  }

  get available(): number {
    return this.freeCount;
  }

  /** Takes up to `count` free frames into `out`; returns how many. */
  take(out: Uint32Array, count: number, to: number): number {
    const n = Math.min(count, this.freeCount, out.length);
    if (this.shift < 0) {
      for (let i = 0; i < n; i++) {
        const addr = this.free[--this.freeCount]!;
        this.mark(addr, FrameAllocator.Free, to);
        out[i] = addr;
      }
      return n;
    }
    // The transmit path's per-frame cost: a shift and a check; the counts move once.
    const owner = this.owner;
    for (let i = 0; i < n; i++) {
      const addr = this.free[--this.freeCount]!;
      const index = addr >>> this.shift;
      if (owner[index] !== FrameAllocator.Free || index >= this.frames) {
        this.moved(i, FrameAllocator.Free, to);
        this.freeCount++;
        this.mark(addr, FrameAllocator.Free, to); // throws, naming the frame
      }
      owner[index] = to;
      out[i] = addr;
    }
    this.moved(n, FrameAllocator.Free, to);
    return n;
  }

  /** Returns frames to the free list (by address; RX addresses may carry an offset into the frame). */
  give(addrs: Uint32Array, count: number, from: number): void {
    for (let i = 0; i < count; i++) {
      const addr = addrs[i]! - (addrs[i]! % this.frameSize);
      this.mark(addr, from, FrameAllocator.Free);
      this.free[this.freeCount++] = addr;
    }
  }

  /**
   * The place of every frame, by index, for native code that moves frames itself
   * (rxBatch checks and moves each frame in this table; the caller then reports the counts
   * with `moved`). Nothing else may write it.
   */
  get places(): Uint8Array {
    return this.owner;
  }

  /**
   * The free stack (frame addresses; the top `available` entries are free), for native code
   * that pushes completed frames onto it (txBatch); it then reports them with `pushedFree`.
   */
  get freeStack(): Uint32Array {
    return this.free;
  }

  /** Counts `count` frames that native code moved from place `from` onto the free stack (marked free in `places`). */
  pushedFree(count: number, from: number): void {
    this.freeCount += count;
    this.moved(count, from, FrameAllocator.Free);
  }

  /** Counts `count` frames that native code moved from place `from` to place `to` in `places`. */
  moved(count: number, from: number, to: number): void {
    this.counts[from]! -= count;
    this.counts[to]! += count;
  }

  /** The error for a frame found in place `found` (-1: not a UMEM frame) where `expected` was due. */
  violation(index: number, found: number, expected: number): Error {
    if (found < 0)
      return new Error(
        `address ${index === 0xffffffff ? "beyond the UMEM" : index * this.frameSize} is not a UMEM frame (${this.frames} × ${this.frameSize} bytes)`,
      );
    return new Error(`UMEM frame ${index} is ${describe(found)}, expected ${describe(expected)}: a frame was lost or used twice`);
  }

  /**
   * Frees every frame still on ring `ring` (its fill ring, its held batches, its TX in
   * flight): for when the last socket on that ring has closed and the kernel holds nothing.
   */
  reclaim(ring: number): number {
    let n = 0;
    for (let index = 0; index < this.frames; index++) {
      const o = this.owner[index]!;
      if (o !== FrameAllocator.Free && o >> 2 === ring) {
        this.mark(index * this.frameSize, o, FrameAllocator.Free);
        this.free[this.freeCount++] = index * this.frameSize;
        n++;
      }
    }
    return n;
  }

  private mark(addr: number, from: number, to: number): void {
    const index = addr / this.frameSize;
    if (!(index >= 0 && index < this.frames && Number.isInteger(index)))
      throw new Error(`address ${addr} is not a UMEM frame (${this.frames} × ${this.frameSize} bytes)`);
    if (this.owner[index] !== from)
      throw new Error(`UMEM frame ${index} is ${describe(this.owner[index]!)}, expected ${describe(from)}: a frame was lost or used twice`);
    this.owner[index] = to;
    this.counts[from]!--;
    this.counts[to]!++;
  }

  /** Frames per kind { free, fill, received, transmit }, over all rings; they always add up to `frames`. */
  check(): { free: number; fill: number; received: number; transmit: number } {
    const counts = new Int32Array(256);
    for (const o of this.owner) counts[o]!++;
    if (counts[FrameAllocator.Free] !== this.freeCount) throw new Error(`free list has ${this.freeCount} frames, owners say ${counts[0]}`);
    for (let i = 0; i < 256; i++)
      if (counts[i] !== this.counts[i]) throw new Error(`frame counter for ${describe(i)} is ${this.counts[i]}, owners say ${counts[i]}`);
    const kinds = [0, 0, 0, 0];
    for (let i = 0; i < 256; i++) kinds[i & 3]! += counts[i]!;
    return { free: kinds[0]!, fill: kinds[1]!, received: kinds[2]!, transmit: kinds[3]! };
  }

  /** Frames of one kind on one ring. */
  count(kind: number, ring: number): number {
    return this.counts[FrameAllocator.place(kind, ring)]!;
  }
}

function describe(place: number): string {
  const kind = ["free", "on a fill ring", "held (a received batch or claimed frames)", "in flight on TX"][place & 3]!;
  return place === 0 ? kind : `${kind} (ring ${place >> 2})`;
}
