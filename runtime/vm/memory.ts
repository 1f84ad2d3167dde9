// The VM's address space. A 64-bit pointer is (hi, lo): hi is the id of a region in the
// region table, lo is REGION_BASE + the byte offset in it. Pointer arithmetic stays plain
// 64-bit arithmetic (offsets never carry into hi), a spilled pointer is just 8 bytes, and
// every access checks its region's bounds: a scalar, a stale or a foreign pointer, or an
// offset outside [start, end) is a fault, never a read of someone else's bytes.

/** Where offset 0 of every region sits in the low word (room for negative pointer offsets). */
export const REGION_BASE = 0x10000000;

export const RegionKind = { memory: 0, ctx: 1, map: 2 } as const;

export class Region {
  id = 0;
  readonly view: DataView;
  /** Readable bytes are [start, end); writable ones [start, writeEnd). */
  start = 0;
  end: number;
  writeEnd: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly kind: number,
    readonly what: string,
    readOnly = false,
    /** For map regions the map (helpers take it from a map pointer); for ring records the record. */
    public owner?: unknown,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = kind === RegionKind.memory ? bytes.length : 0;
    this.writeEnd = readOnly ? 0 : this.end;
  }
}

/**
 * Region ids in use. Ids of regions released while a program runs (an element deleted
 * under a pointer the program still holds) are recycled only after the run, so such a
 * pointer keeps reading the element's old bytes as the kernel's RCU-delayed free does.
 */
export class RegionTable {
  readonly regions: (Region | undefined)[] = [undefined];
  private readonly free: number[] = [];
  private readonly pending: number[] = [];
  running = false;

  add(region: Region): number {
    if (region.id) return region.id;
    const id = this.free.pop() ?? this.regions.length;
    this.regions[id] = region;
    region.id = id;
    return id;
  }

  release(region: Region): void {
    if (!region.id) return;
    if (this.running) this.pending.push(region.id);
    else {
      this.regions[region.id] = undefined;
      this.free.push(region.id);
    }
    region.id = 0;
  }

  /** After a run: recycle what was released during it. */
  settle(): void {
    if (this.pending.length === 0) return;
    for (const id of this.pending) {
      this.regions[id] = undefined;
      this.free.push(id);
    }
    this.pending.length = 0;
  }
}
