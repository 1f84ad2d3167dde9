// The VM's maps, with the kernel's semantics for what programs and the runtime can observe:
// update flags (BPF_ANY/NOEXIST/EXIST), full maps (E2BIG for hash maps, ENOSPC for LPM
// tries), arrays that cannot delete, per-CPU values (one per CPU, 8-byte stride when read
// from userspace), LRU eviction (model: docs/vm.md), longest-prefix match, and redirect and
// program maps that hold what userspace put in them. Each value lives in its own Region,
// so a program's pointer into a value is bounds-checked like any other access.
import { MapType } from "../map.js";
import { Errno, errnoError } from "./errno.js";
import { type KeyId, keyId } from "./keys.js";
import { Region, RegionKind, type RegionTable } from "./memory.js";
import type { VmMapSpec } from "./spec.js";

export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, LOCK: 4 } as const;

export abstract class VmMap {
  /** The map itself, as a program's map pointer sees it (no readable bytes). */
  readonly region: Region;
  /** Bytes of a value as userspace reads and writes it (per-CPU maps: every CPU's). */
  readonly userValueSize: number;

  constructor(
    readonly spec: VmMapSpec,
    readonly cpus: number,
    protected readonly table: RegionTable,
  ) {
    this.region = new Region(new Uint8Array(0), RegionKind.map, `map '${spec.name}'`, true, this);
    this.userValueSize = spec.valueSize;
  }

  get name(): string {
    return this.spec.name;
  }

  /** bpf_map_lookup_elem from a program: the value of `cpu`, or undefined (NULL). */
  abstract lookup(key: Uint8Array, offset: number, cpu: number): Region | undefined;
  /** bpf_map_update_elem from a program: 0 or a negative errno. */
  abstract update(key: Uint8Array, keyOffset: number, value: Uint8Array, valueOffset: number, flags: number, cpu: number): number;
  /** bpf_map_delete_elem from a program: 0 or a negative errno. */
  abstract delete(key: Uint8Array, offset: number): number;

  /** BPF_MAP_LOOKUP_ELEM from userspace into `out` (userValueSize bytes). */
  abstract userLookup(key: Uint8Array, out: Uint8Array): boolean;
  abstract userUpdate(key: Uint8Array, value: Uint8Array, flags: number): void;
  abstract userDelete(key: Uint8Array): boolean;
  /** BPF_MAP_GET_NEXT_KEY: the first key for null or an absent key, null after the last. */
  abstract nextKey(key: Uint8Array | null): Uint8Array | null;

  protected checkFlags(flags: number, allowed = UpdateFlag.EXIST): number {
    if (flags < 0 || flags > allowed) return -Errno.EINVAL;
    return 0;
  }

  protected userFail(result: number, what: string): void {
    if (result < 0) throw errnoError(-result, `${what} on map '${this.name}' failed`);
  }
}

/** Values of one entry: one region per CPU for per-CPU maps, else one. */
class Entry {
  /** LRU maps: when a program last looked the entry up or updated it (a use counter). */
  used = 0;
  constructor(
    readonly key: Uint8Array,
    readonly values: Region[],
  ) {}
}

function valueRegions(size: number, cpus: number, what: string, readOnly = false): Region[] {
  return Array.from({ length: cpus }, () => new Region(new Uint8Array(size), RegionKind.memory, what, readOnly));
}

/** Per-CPU user values: CPU i's value at i × round_up(value_size, 8). */
function perCpuStride(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8;
}

export class HashVmMap extends VmMap {
  protected readonly entries = new Map<KeyId, Entry>();
  private keyOrder: Entry[] | undefined;
  override readonly userValueSize: number;

  constructor(
    spec: VmMapSpec,
    cpus: number,
    table: RegionTable,
    readonly perCpu: boolean,
    readonly lru: boolean,
  ) {
    super(spec, cpus, table);
    this.userValueSize = perCpu ? perCpuStride(spec.valueSize) * cpus : spec.valueSize;
  }

  get size(): number {
    return this.entries.size;
  }

  /** LRU maps: the use counter (model: docs/vm.md). */
  private uses = 0;

  private find(key: Uint8Array, offset: number): Entry | undefined {
    const entry = this.entries.get(keyId(key, offset, this.spec.keySize));
    if (entry !== undefined && this.lru) entry.used = ++this.uses;
    return entry;
  }

  /** The least recently used entry (the smallest use count; the oldest insert on ties). */
  private leastRecentlyUsed(): [KeyId, Entry] {
    let victim: [KeyId, Entry] | undefined;
    for (const pair of this.entries) if (victim === undefined || pair[1].used < victim[1].used) victim = pair;
    return victim!;
  }

  lookup(key: Uint8Array, offset: number, cpu: number): Region | undefined {
    const entry = this.find(key, offset);
    if (!entry) return undefined;
    const region = entry.values[this.perCpu ? cpu : 0]!;
    this.table.add(region);
    return region;
  }

  /** Inserts or replaces; `write` fills the new entry's values. */
  private put(key: Uint8Array, keyOffset: number, flags: number, write: (values: Region[], old: Entry | undefined) => void): number {
    const bad = this.checkFlags(flags & ~UpdateFlag.LOCK);
    if (bad) return bad;
    const id = keyId(key, keyOffset, this.spec.keySize);
    const old = this.entries.get(id);
    if (old && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (!old && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (!old && this.entries.size >= this.spec.maxEntries) {
      if (!this.lru) return -Errno.E2BIG;
      const [victimId, victim] = this.leastRecentlyUsed();
      this.entries.delete(victimId);
      this.retire(victim);
    }
    // The kernel puts a new element in place of the old one (a program's pointer to the old
    // value keeps seeing the old bytes), except per-CPU maps, which copy in place.
    const values =
      this.perCpu && old ? old.values : valueRegions(this.spec.valueSize, this.perCpu ? this.cpus : 1, `value of map '${this.name}'`);
    write(values, old);
    if (old) {
      this.entries.delete(id);
      if (values !== old.values) this.retire(old);
    }
    const entry = new Entry(key.slice(keyOffset, keyOffset + this.spec.keySize), values);
    if (this.lru) entry.used = ++this.uses;
    this.entries.set(id, entry);
    this.keyOrder = undefined;
    return 0;
  }

  private retire(entry: Entry): void {
    for (const r of entry.values) this.table.release(r);
    this.keyOrder = undefined;
  }

  update(key: Uint8Array, keyOffset: number, value: Uint8Array, valueOffset: number, flags: number, cpu: number): number {
    const size = this.spec.valueSize;
    return this.put(key, keyOffset, flags, (values, old) => {
      if (this.perCpu) {
        // From a program: this CPU's value; a new entry's other CPUs start at zero.
        if (!old) for (const r of values) r.bytes.fill(0);
        values[cpu]!.bytes.set(value.subarray(valueOffset, valueOffset + size));
      } else values[0]!.bytes.set(value.subarray(valueOffset, valueOffset + size));
    });
  }

  delete(key: Uint8Array, offset: number): number {
    const id = keyId(key, offset, this.spec.keySize);
    const entry = this.entries.get(id);
    if (!entry) return -Errno.ENOENT;
    this.entries.delete(id);
    this.retire(entry);
    return 0;
  }

  userLookup(key: Uint8Array, out: Uint8Array): boolean {
    const entry = this.entries.get(keyId(key, 0, this.spec.keySize));
    if (!entry) return false;
    if (!this.perCpu) out.set(entry.values[0]!.bytes);
    else {
      const stride = perCpuStride(this.spec.valueSize);
      out.fill(0);
      entry.values.forEach((r, cpu) => out.set(r.bytes, cpu * stride));
    }
    return true;
  }

  userUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    const size = this.spec.valueSize;
    const stride = perCpuStride(size);
    this.userFail(
      this.put(key, 0, flags, (values) => {
        if (this.perCpu) values.forEach((r, cpu) => r.bytes.set(value.subarray(cpu * stride, cpu * stride + size)));
        else values[0]!.bytes.set(value.subarray(0, size));
      }),
      "update",
    );
  }

  userDelete(key: Uint8Array): boolean {
    return this.delete(key, 0) === 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    this.keyOrder ??= [...this.entries.values()];
    const order = this.keyOrder;
    if (!key) return order[0]?.key.slice() ?? null;
    const entry = this.entries.get(keyId(key, 0, this.spec.keySize));
    if (!entry) return order[0]?.key.slice() ?? null;
    const at = order.indexOf(entry);
    return order[at + 1]?.key.slice() ?? null;
  }

  /** Values of every entry (DevMapHash redirects read them). */
  slotValue(key: Uint8Array, offset: number): Uint8Array | undefined {
    return this.entries.get(keyId(key, offset, this.spec.keySize))?.values[0]!.bytes;
  }
}

export class ArrayVmMap extends VmMap {
  /** values[cpu][index] */
  private readonly values: Region[][];
  override readonly userValueSize: number;

  constructor(
    spec: VmMapSpec,
    cpus: number,
    table: RegionTable,
    readonly perCpu: boolean,
    readOnlyForPrograms = false,
  ) {
    super(spec, cpus, table);
    this.userValueSize = perCpu ? perCpuStride(spec.valueSize) * cpus : spec.valueSize;
    this.values = Array.from({ length: perCpu ? cpus : 1 }, () =>
      valueRegions(spec.valueSize, spec.maxEntries, `value of map '${spec.name}'`, readOnlyForPrograms),
    );
    if (spec.initial) this.values[0]![0]!.bytes.set(spec.initial.subarray(0, spec.valueSize));
  }

  /** The value region of `index` (global data: the section). */
  valueRegion(index: number, cpu = 0): Region {
    const region = this.values[this.perCpu ? cpu : 0]![index]!;
    this.table.add(region);
    return region;
  }

  lookup(key: Uint8Array, offset: number, cpu: number): Region | undefined {
    const i = u32At(key, offset);
    return i < this.spec.maxEntries ? this.valueRegion(i, cpu) : undefined;
  }

  update(key: Uint8Array, keyOffset: number, value: Uint8Array, valueOffset: number, flags: number, cpu: number): number {
    const bad = this.checkFlags(flags & ~UpdateFlag.LOCK);
    if (bad) return bad;
    const i = u32At(key, keyOffset);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if (flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    this.values[this.perCpu ? cpu : 0]![i]!.bytes.set(value.subarray(valueOffset, valueOffset + this.spec.valueSize));
    return 0;
  }

  delete(): number {
    return -Errno.EINVAL;
  }

  userLookup(key: Uint8Array, out: Uint8Array): boolean {
    const i = u32At(key, 0);
    if (i >= this.spec.maxEntries) return false;
    const stride = perCpuStride(this.spec.valueSize);
    if (this.perCpu) out.fill(0);
    this.values.forEach((cpuValues, cpu) => out.set(cpuValues[i]!.bytes, cpu * stride));
    return true;
  }

  userUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    const bad = this.checkFlags(flags & ~UpdateFlag.LOCK);
    if (bad) this.userFail(bad, "update");
    const i = u32At(key, 0);
    if (i >= this.spec.maxEntries)
      throw errnoError(Errno.E2BIG, `update on map '${this.name}': index ${i} is past max_entries ${this.spec.maxEntries}`);
    if (flags === UpdateFlag.NOEXIST) throw errnoError(Errno.EEXIST, `update on map '${this.name}': array elements always exist`);
    const size = this.spec.valueSize;
    const stride = perCpuStride(size);
    this.values.forEach((cpuValues, cpu) => cpuValues[i]!.bytes.set(value.subarray(cpu * stride, cpu * stride + size)));
  }

  userDelete(): boolean {
    throw errnoError(Errno.EINVAL, `map '${this.name}' is an array: its elements cannot be deleted`);
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    return indexAfter(key ? u32At(key, 0) : -1, this.spec.maxEntries);
  }
}

/**
 * Maps of kernel objects (ProgArray, DevMap, CpuMap, XskMap): an array of slots that hold
 * what userspace put there. Programs see only presence (XskMap) or the value (DevMap).
 */
export class SlotVmMap extends VmMap {
  private readonly slots: (Region | undefined)[];

  constructor(spec: VmMapSpec, cpus: number, table: RegionTable) {
    super(spec, cpus, table);
    this.slots = new Array(spec.maxEntries).fill(undefined);
  }

  slot(key: Uint8Array, offset: number): Uint8Array | undefined {
    const i = u32At(key, offset);
    return i < this.slots.length ? this.slots[i]?.bytes : undefined;
  }

  slotAt(index: number): Uint8Array | undefined {
    return index < this.slots.length ? this.slots[index]?.bytes : undefined;
  }

  lookup(key: Uint8Array, offset: number): Region | undefined {
    const i = u32At(key, offset);
    const region = i < this.slots.length ? this.slots[i] : undefined;
    if (region) this.table.add(region);
    return region;
  }

  update(): number {
    // The verifier refuses updates of these maps from XDP programs.
    return -Errno.EOPNOTSUPP;
  }

  delete(): number {
    return -Errno.EOPNOTSUPP;
  }

  userLookup(key: Uint8Array, out: Uint8Array): boolean {
    const bytes = this.slot(key, 0);
    if (!bytes) return false;
    out.set(bytes.subarray(0, out.length));
    return true;
  }

  userUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    const i = u32At(key, 0);
    if (i >= this.slots.length)
      throw errnoError(Errno.E2BIG, `update on map '${this.name}': index ${i} is past max_entries ${this.spec.maxEntries}`);
    const bad = this.checkFlags(flags);
    if (bad) this.userFail(bad, "update");
    if (flags === UpdateFlag.NOEXIST && this.slots[i]) throw errnoError(Errno.EEXIST, `update on map '${this.name}': slot ${i} is taken`);
    const old = this.slots[i];
    if (old) this.table.release(old);
    this.slots[i] = new Region(value.slice(0, this.spec.valueSize), RegionKind.memory, `slot of map '${this.name}'`, true);
  }

  userDelete(key: Uint8Array): boolean {
    const i = u32At(key, 0);
    const old = this.slots[i];
    if (!old) return false;
    this.table.release(old);
    this.slots[i] = undefined;
    return true;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    // Like the kernel's fd arrays and devmaps: every index, set or not.
    return indexAfter(key ? u32At(key, 0) : -1, this.slots.length);
  }
}

/** LPM trie: key = u32 prefixlen + address bytes; lookups find the longest stored prefix. */
export class LpmVmMap extends VmMap {
  private readonly byLength = new Map<number, Map<KeyId, Entry>>();
  private lengths: number[] = [];
  private count = 0;
  private readonly scratch: Uint8Array;

  constructor(spec: VmMapSpec, cpus: number, table: RegionTable) {
    super(spec, cpus, table);
    this.scratch = new Uint8Array(spec.keySize);
  }

  private get dataBits(): number {
    return (this.spec.keySize - 4) * 8;
  }

  /** The key's first `bits` address bits, the rest zero, as an id. */
  private maskedId(key: Uint8Array, offset: number, bits: number): KeyId {
    const s = this.scratch;
    s.fill(0);
    const full = bits >> 3;
    s.set(key.subarray(offset + 4, offset + 4 + full), 0);
    if (bits & 7) s[full] = key[offset + 4 + full]! & (0xff << (8 - (bits & 7)));
    return keyId(s, 0, this.spec.keySize - 4);
  }

  private prefixLength(key: Uint8Array, offset: number): number {
    return (key[offset]! | (key[offset + 1]! << 8) | (key[offset + 2]! << 16) | (key[offset + 3]! << 24)) >>> 0;
  }

  private match(key: Uint8Array, offset: number): Entry | undefined {
    const limit = Math.min(this.prefixLength(key, offset), this.dataBits);
    for (const bits of this.lengths) {
      if (bits > limit) continue;
      const entry = this.byLength.get(bits)!.get(this.maskedId(key, offset, bits));
      if (entry) return entry;
    }
    return undefined;
  }

  lookup(key: Uint8Array, offset: number): Region | undefined {
    const entry = this.match(key, offset);
    if (!entry) return undefined;
    this.table.add(entry.values[0]!);
    return entry.values[0];
  }

  update(key: Uint8Array, keyOffset: number, value: Uint8Array, valueOffset: number, flags: number): number {
    const bad = this.checkFlags(flags);
    if (bad) return bad;
    const bits = this.prefixLength(key, keyOffset);
    if (bits > this.dataBits) return -Errno.EINVAL;
    const level = this.byLength.get(bits) ?? new Map<KeyId, Entry>();
    const id = this.maskedId(key, keyOffset, bits);
    const old = level.get(id);
    if (old && flags === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    if (!old && flags === UpdateFlag.EXIST) return -Errno.ENOENT;
    if (!old && this.count >= this.spec.maxEntries) return -Errno.ENOSPC;
    const values = valueRegions(this.spec.valueSize, 1, `value of map '${this.name}'`);
    values[0]!.bytes.set(value.subarray(valueOffset, valueOffset + this.spec.valueSize));
    if (old) for (const r of old.values) this.table.release(r);
    else this.count++;
    level.set(id, new Entry(key.slice(keyOffset, keyOffset + this.spec.keySize), values));
    if (!this.byLength.has(bits)) {
      this.byLength.set(bits, level);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    return 0;
  }

  delete(key: Uint8Array, offset: number): number {
    const bits = this.prefixLength(key, offset);
    const level = this.byLength.get(bits);
    const id = bits <= this.dataBits ? this.maskedId(key, offset, bits) : undefined;
    const old = id === undefined ? undefined : level?.get(id);
    if (!old || id === undefined) return -Errno.ENOENT;
    level!.delete(id);
    this.count--;
    for (const r of old.values) this.table.release(r);
    return 0;
  }

  userLookup(key: Uint8Array, out: Uint8Array): boolean {
    const entry = this.match(key, 0);
    if (!entry) return false;
    out.set(entry.values[0]!.bytes);
    return true;
  }

  userUpdate(key: Uint8Array, value: Uint8Array, flags: number): void {
    this.userFail(this.update(key, 0, value, 0, flags), "update");
  }

  userDelete(key: Uint8Array): boolean {
    return this.delete(key, 0) === 0;
  }

  nextKey(key: Uint8Array | null): Uint8Array | null {
    const order = this.lengths.flatMap((bits) => [...this.byLength.get(bits)!.values()]);
    if (!key) return order[0]?.key.slice() ?? null;
    const bits = this.prefixLength(key, 0);
    const current = bits <= this.dataBits ? this.byLength.get(bits)?.get(this.maskedId(key, 0, bits)) : undefined;
    if (!current) return order[0]?.key.slice() ?? null;
    return order[order.indexOf(current) + 1]?.key.slice() ?? null;
  }
}

/** A record of a ring buffer: committed records are what the consumer reads, in order. */
export class RingRecord {
  state: "reserved" | "committed" | "discarded" = "reserved";
  constructor(
    readonly region: Region,
    readonly ring: RingBufVmMap,
  ) {}
}

export class RingBufVmMap extends VmMap {
  readonly records: RingRecord[] = [];
  /** Bytes the unconsumed records take in the ring (8-byte header, 8-byte aligned). */
  private used = 0;

  /** BPF_RB_AVAIL_DATA: bytes not yet consumed. */
  get available(): number {
    return this.used;
  }

  private footprint(size: number): number {
    return Math.ceil((size + 8) / 8) * 8;
  }

  /** bpf_ringbuf_reserve: a zeroed record, or undefined when the ring is full. */
  reserve(size: number): RingRecord | undefined {
    const foot = this.footprint(size);
    // The kernel refuses a record that would bring the producer more than size - 1 bytes
    // ahead of the consumer: a ring is never completely full.
    if (this.used + foot > this.spec.maxEntries - 1) return undefined;
    this.used += foot;
    const region = new Region(new Uint8Array(size), RegionKind.memory, `record of ring buffer '${this.name}'`);
    const record = new RingRecord(region, this);
    region.owner = record;
    this.records.push(record);
    return record;
  }

  private waiters: (() => void)[] = [];

  /** A record becomes readable (output, or submit of a reserved one): wakes waiting readers. */
  commit(record: RingRecord): void {
    record.state = "committed";
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when a record is committed, or after `ms`. */
  wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => wake(false), ms);
      const wake = (committed = true) => {
        clearTimeout(timer);
        resolve(committed);
      };
      this.waiters.push(wake);
    });
  }

  /** Committed records from the head, up to `limit`; stops at a record still reserved. */
  consume(limit: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (out.length < limit && this.records.length) {
      const head = this.records[0]!;
      if (head.state === "reserved") break;
      this.records.shift();
      this.used -= this.footprint(head.region.bytes.length);
      this.table.release(head.region);
      if (head.state === "committed") out.push(head.region.bytes.slice());
    }
    return out;
  }

  lookup(): Region | undefined {
    return undefined;
  }
  update(): number {
    return -Errno.EINVAL;
  }
  delete(): number {
    return -Errno.EINVAL;
  }
  userLookup(): boolean {
    throw errnoError(Errno.ENOTSUPP, `ring buffer '${this.name}' has no elements to look up: consume its records`);
  }
  userUpdate(): void {
    throw errnoError(Errno.ENOTSUPP, `ring buffer '${this.name}' cannot be written from userspace`);
  }
  userDelete(): boolean {
    throw errnoError(Errno.ENOTSUPP, `ring buffer '${this.name}' has no elements to delete`);
  }
  nextKey(): Uint8Array | null {
    throw errnoError(Errno.ENOTSUPP, `ring buffer '${this.name}' has no keys`);
  }
}

export function createMap(spec: VmMapSpec, cpus: number, table: RegionTable): VmMap {
  switch (spec.type) {
    case MapType.HASH:
      return new HashVmMap(spec, cpus, table, false, false);
    case MapType.PERCPU_HASH:
      return new HashVmMap(spec, cpus, table, true, false);
    case MapType.LRU_HASH:
      return new HashVmMap(spec, cpus, table, false, true);
    case MapType.LRU_PERCPU_HASH:
      return new HashVmMap(spec, cpus, table, true, true);
    case MapType.DEVMAP_HASH:
      return new HashVmMap(spec, cpus, table, false, false);
    case MapType.ARRAY:
      return new ArrayVmMap(spec, cpus, table, false, spec.readOnly);
    case MapType.PERCPU_ARRAY:
      return new ArrayVmMap(spec, cpus, table, true);
    case MapType.LPM_TRIE:
      return new LpmVmMap(spec, cpus, table);
    case MapType.RINGBUF:
      return new RingBufVmMap(spec, cpus, table);
    case MapType.PROG_ARRAY:
    case MapType.DEVMAP:
    case MapType.CPUMAP:
    case MapType.XSKMAP:
      return new SlotVmMap(spec, cpus, table);
    default:
      throw errnoError(
        Errno.EINVAL,
        `map '${spec.name}': map type ${spec.type} is not one the VM has (hash, array, per-CPU and LRU variants, LPM trie, ring buffer, program, device, CPU and socket maps)`,
      );
  }
}

/** The little-endian u32 at `offset` of `key`: an array map's index. */
function u32At(key: Uint8Array, offset: number): number {
  return (key[offset]! | (key[offset + 1]! << 8) | (key[offset + 2]! << 16) | (key[offset + 3]! << 24)) >>> 0;
}

/**
 * The u32 key after index `i` (-1: before the first) of an array of `length` slots, as the
 * kernel's array maps walk them; a key past the end starts again at 0. Null after the last.
 */
function indexAfter(i: number, length: number): Uint8Array | null {
  const next = i >= length ? 0 : i + 1;
  if (next >= length) return null;
  return Uint8Array.from([next & 0xff, (next >> 8) & 0xff, (next >> 16) & 0xff, next >>> 24]);
}
