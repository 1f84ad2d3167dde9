// The UMEM frame allocator: every frame is in exactly one place — free (for TX), in the
// fill ring (waiting for RX), received (held by a batch the user has not released), or in
// flight on TX. `check()` verifies that accounting; tests run it under load.
export class FrameAllocator {
  private readonly free: Uint32Array;
  private freeCount = 0;
  /** Where each frame is, by frame index (for the accounting check). */
  private readonly owner: Uint8Array;
  /** Frames per place, kept as frames move. */
  readonly counts = [0, 0, 0, 0];

  static readonly Free = 0;
  static readonly Fill = 1;
  static readonly Received = 2;
  static readonly Transmit = 3;

  constructor(readonly frames: number, readonly frameSize: number) {
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
    const n = Math.min(count, this.freeCount);
    for (let i = 0; i < n; i++) {
      const addr = this.free[--this.freeCount]!;
      this.mark(addr, FrameAllocator.Free, to);
      out[i] = addr;
    }
    return n;
  }

  /** Returns frames (by address; RX addresses may carry an offset into the frame). */
  give(addrs: Uint32Array, count: number, from: number): void {
    for (let i = 0; i < count; i++) {
      const addr = addrs[i]! - (addrs[i]! % this.frameSize);
      this.mark(addr, from, FrameAllocator.Free);
      this.free[this.freeCount++] = addr;
    }
  }

  /** Moves frames between two non-free places (fill ring → received, received → fill ring). */
  move(addrs: Uint32Array, count: number, from: number, to: number, stride = 1): void {
    for (let i = 0; i < count; i++) {
      const a = addrs[i * stride]!;
      this.mark(a - (a % this.frameSize), from, to);
    }
  }

  private mark(addr: number, from: number, to: number): void {
    const index = addr / this.frameSize;
    if (this.owner[index] !== from) throw new Error(`UMEM frame ${index} is ${this.owner[index]}, expected ${from}: a frame was lost or used twice`);
    this.owner[index] = to;
    this.counts[from]!--;
    this.counts[to]!++;
  }

  /** Frames per place: { free, fill, received, transmit }; they always add up to `frames`. */
  check(): { free: number; fill: number; received: number; transmit: number } {
    const counts = [0, 0, 0, 0];
    for (const o of this.owner) counts[o]!++;
    if (counts[FrameAllocator.Free] !== this.freeCount) throw new Error(`free list has ${this.freeCount} frames, owners say ${counts[0]}`);
    if (counts.some((c, i) => c !== this.counts[i])) throw new Error(`frame counters ${this.counts} disagree with owners ${counts}`);
    return { free: counts[0]!, fill: counts[1]!, received: counts[2]!, transmit: counts[3]! };
  }
}
