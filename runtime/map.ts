// Typed maps over a map fd: get/set/delete/has, iteration, size, clear and batch variants.
// Keys and values go through codecs built from BTF; per-CPU maps give one value per
// possible CPU.
import { native, type KernelCalls, type NativeMapHandle, type NativeMapInfo } from "./native.js";
import { type Codec, type IntegerLane, codecFor, codecFromLayout, decode, integerLane, rawCodec } from "./codec.js";
import { Btf } from "./btf.js";
import { explain, BpfError, integerArgument, invalidArgument, invalidValue, u32Max } from "./errors.js";
import { BPF_F_LOCK, Errno, MapType, UpdateFlags, unsupportedOperationErrnos } from "./kernel.js";
import { kernelObjects } from "./kernel-ids.js";
import "./dispose.js";

export { MapType, UpdateFlags };

const perCpuTypes = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]);
const arrayTypes = new Set<number>([
  MapType.ARRAY,
  MapType.PROG_ARRAY,
  MapType.PERCPU_ARRAY,
  MapType.DEVMAP,
  MapType.CPUMAP,
  MapType.XSKMAP,
]);
const batchTypes = new Set<number>([
  MapType.HASH,
  MapType.PERCPU_HASH,
  MapType.LRU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
]);

/** The typed map interface skeletons declare (`maps.<name>`). */
export interface TypedMap<K, V> extends Iterable<[K, V]> {
  readonly name: string;
  readonly fd: number;
  get(key: K): V | undefined;
  set(key: K, value: V, flags?: number): void;
  delete(key: K): boolean;
  has(key: K): boolean;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
  clear(): void;
  readonly size: number;
  getMany(keys: readonly K[]): (V | undefined)[];
  setMany(entries: Iterable<readonly [K, V]>, flags?: number): void;
  deleteMany(keys: readonly K[]): number;
}

/** A per-CPU map: `get` gives one value per possible CPU; `sum` adds them up. */
export interface PerCpuMap<K, V> extends TypedMap<K, V[]> {
  sum(key: K): V | undefined;
}

/** How BpfMap.fromFd and its kin decode a map: a name for messages, codecs, or plain bytes. */
export interface MapOpenOptions {
  readonly name?: string;
  readonly keyCodec?: Codec;
  readonly valueCodec?: Codec;
  /** Keys and values as bytes (where no codec is given). */
  readonly bytes?: boolean;
}

/** Buffers of one batch call: `capacity` packed keys and values, typed-array lanes over them. */
interface BatchBuffers {
  capacity: number;
  keys: Uint8Array;
  keyView: DataView;
  keyLane: IntegerLane | undefined;
  values: Uint8Array;
  valueView: DataView;
  valueLane: IntegerLane | undefined;
  found: Uint8Array;
}

/** Entries in one BPF_MAP_*_BATCH call: keeps the kernel's temporary copies small. */
const batchChunk = 4096;
/** Batch buffers up to this many bytes stay allocated for the next call; larger ones are dropped. */
const retainedBatchBytes = 4 << 20;

export class BpfMap<K = unknown, V = unknown> implements TypedMap<K, V> {
  /** Bytes of one value as the syscall sees it (per-CPU: every CPU's, 8-byte aligned). */
  protected valueBytes: number;
  readonly keySize: number;

  // The native handle (an owned fd and the map's real sizes, so the addon checks every
  // buffer), opened on first use and closed with the object. With it, scratch buffers for
  // single operations: the syscall copies key and value, so one of each serves every call.
  private nativeHandle: NativeMapHandle | undefined;
  private keyScratch!: Uint8Array;
  private keyScratchView!: DataView;
  private keyScratchLane: IntegerLane | undefined;
  private valueScratch!: Uint8Array;
  private valueScratchView!: DataView;
  private valueScratchLane: IntegerLane | undefined;
  /** Reused by setMany/getMany/deleteMany; undefined while a call holds it. */
  private spareBatch: BatchBuffers | undefined;
  /** Closes the fd when the map owns it (fromPin). */
  private closeFd: (() => void) | undefined;

  /**
   * A map known by an fd the caller owns and keeps open while it uses the map: a map found
   * by id, another object's, one created outside an object. Keys and values are decoded with
   * the map's own BTF where the kernel has it (u32 for maps of devices, CPUs, sockets and
   * programs declared by size; else bytes) unless `options` gives codecs, or `bytes` asks
   * for bytes; a per-CPU map is a BpfPerCpuMap.
   */
  static fromFd<K = unknown, V = unknown>(fd: number, options: MapOpenOptions = {}): BpfMap<K, V> {
    let info: ReturnType<ReturnType<typeof native>["mapInfo"]>;
    try {
      info = native().mapInfo(fd);
    } catch (error) {
      throw explain(error, `map fd ${fd}: read its type and sizes`);
    }
    let { keyCodec, valueCodec } = options;
    if (options.bytes) {
      keyCodec ??= rawCodec(info.keySize);
      valueCodec ??= rawCodec(info.valueSize);
    } else if (!keyCodec || !valueCodec) {
      const btf = info.btfId ? native().btfById(info.btfId) : undefined;
      const own = mapCodecs(btf ? new Btf(btf) : undefined, info);
      keyCodec ??= own.keyCodec;
      valueCodec ??= own.valueCodec;
    }
    return typedMap(options.name ?? info.name, { ...info, fd }, keyCodec, valueCodec, () => fd) as BpfMap<K, V>;
  }

  /** As fromFd, but the map takes `fd` over: close() closes it (so does a failure to open). */
  static adoptFd<K = unknown, V = unknown>(fd: number, options: MapOpenOptions = {}): BpfMap<K, V> {
    let map: BpfMap<K, V>;
    try {
      map = BpfMap.fromFd<K, V>(fd, options);
    } catch (error) {
      native().close(fd);
      throw error;
    }
    let held = true;
    map.fdOf = () => (held ? fd : -1);
    map.closeFd = () => {
      held = false;
      native().close(fd);
    };
    return map;
  }

  /** A map pinned on bpffs at `pin` (codecs as in fromFd); the map holds its fd until close(). */
  static fromPin<K = unknown, V = unknown>(pin: string, options: MapOpenOptions = {}): BpfMap<K, V> {
    let fd: number;
    try {
      fd = native().objGet(pin);
    } catch (error) {
      throw explain(error, `open pinned map ${pin}`);
    }
    return BpfMap.adoptFd<K, V>(fd, options);
  }

  /** The loaded map with this id (from a program's map ids, `bpftool map`; codecs as in fromFd); holds its fd until close(). */
  static fromId<K = unknown, V = unknown>(id: number, options: MapOpenOptions = {}): BpfMap<K, V> {
    integerArgument("map id", id, 1, u32Max);
    let fd: number;
    try {
      fd = native().mapFdById(id);
    } catch (error) {
      throw explain(error, `open BPF map id ${id}`);
    }
    return BpfMap.adoptFd<K, V>(fd, options);
  }

  /**
   * Every map loaded in the kernel, walked by id as bpftool does, each holding its fd until
   * close(); keys and values are bytes (a caller that knows the map decodes it better).
   */
  static loaded(limit = 1 << 20): BpfMap<Uint8Array, Uint8Array>[] {
    const maps: BpfMap<Uint8Array, Uint8Array>[] = [];
    try {
      for (const { fd } of kernelObjects("map", limit)) maps.push(BpfMap.adoptFd<Uint8Array, Uint8Array>(fd, { bytes: true }));
    } catch (error) {
      for (const m of maps) m.close();
      throw error;
    }
    return maps;
  }

  constructor(
    readonly name: string,
    protected readonly info: NativeMapInfo,
    protected readonly keyCodec: Codec,
    protected readonly valueCodec: Codec,
    private fdOf: () => number,
    /** The backend: the native addon (default) or the VM. */
    private readonly calls?: KernelCalls,
  ) {
    this.valueBytes = info.valueSize;
    this.keySize = info.keySize;
  }

  protected get kernel(): KernelCalls {
    return this.calls ?? native();
  }

  get fd(): number {
    const fd = this.fdOf();
    if (fd < 0) throw new BpfError(`map '${this.name}' is not loaded yet: call load() first`, "EBADF");
    return fd;
  }
  get type(): number {
    return this.info.type;
  }
  /**
   * The map's BTF as the kernel holds it (undefined without one, or when it cannot be read)
   * and its key and value type ids there: what a display of the map's entries reads.
   */
  kernelTypes(): { btf: Btf | undefined; keyTypeId: number; valueTypeId: number } {
    let btf: Btf | undefined;
    try {
      const id = this.info.btfId ?? native().mapInfo(this.fd).btfId;
      const bytes = id ? native().btfById(id) : undefined;
      btf = bytes ? new Btf(bytes) : undefined;
    } catch {
      btf = undefined; // shapes only
    }
    return { btf, keyTypeId: this.info.btfKeyTypeId, valueTypeId: this.info.btfValueTypeId };
  }

  /** The kernel's id of the map, when it was opened by fd (fromFd, fromPin, loaded). */
  get id(): number | undefined {
    return this.info.id;
  }
  get maxEntries(): number {
    return this.info.maxEntries;
  }
  /** Bytes of one value (of one CPU's, for per-CPU maps). */
  get valueSize(): number {
    return this.info.valueSize;
  }

  private handle(): NativeMapHandle {
    return this.nativeHandle ?? this.openHandle();
  }

  private openHandle(): NativeMapHandle {
    const fd = this.fd;
    let handle: NativeMapHandle;
    try {
      handle = this.kernel.mapOpen(fd, this.keySize, this.valueBytes);
    } catch (error) {
      throw explain(error, `map '${this.name}': open`);
    }
    this.keyScratch = new Uint8Array(this.keySize);
    this.keyScratchView = new DataView(this.keyScratch.buffer);
    this.keyScratchLane = integerLane(this.keyCodec, this.keyScratch, this.keySize);
    this.valueScratch = new Uint8Array(this.valueBytes);
    this.valueScratchView = new DataView(this.valueScratch.buffer);
    this.valueScratchLane = this.valueLane(this.valueScratch);
    this.nativeHandle = handle;
    return handle;
  }

  /** Closes the native handle; the owning object calls it when it closes. */
  release(): void {
    if (this.nativeHandle !== undefined) this.kernel.mapClose(this.nativeHandle);
    this.nativeHandle = undefined;
    this.spareBatch = undefined;
  }

  /** Releases the map, and closes its fd when it holds one (fromPin). */
  close(): void {
    this.release();
    this.closeFd?.();
    this.closeFd = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** A typed-array lane over packed values, where values are plain integers (not per-CPU). */
  protected valueLane(bytes: Uint8Array): IntegerLane | undefined {
    return integerLane(this.valueCodec, bytes, this.valueBytes);
  }

  /** The slow path of a key: through the codec, zeroing padding and absent fields first. */
  private writeKeyAt(bytes: Uint8Array, view: DataView, offset: number, key: K): void {
    bytes.fill(0, offset, offset + this.keySize);
    try {
      this.keyCodec.write(view, offset, key);
    } catch (error) {
      throw invalidValue(`map '${this.name}': bad key (${this.keyCodec.describe} expected)`, error);
    }
  }

  /** The slow path of a value, at `offset` of a scratch or batch buffer. */
  protected writeValueAt(bytes: Uint8Array, view: DataView, offset: number, value: V): void {
    bytes.fill(0, offset, offset + this.valueBytes);
    try {
      this.valueCodec.write(view, offset, value);
    } catch (error) {
      throw invalidValue(`map '${this.name}': bad value (${this.valueCodec.describe} expected)`, error);
    }
  }

  /** A value inside a scratch or batch buffer. */
  protected readValueAt(bytes: Uint8Array, view: DataView, offset: number): V {
    return this.valueCodec.read(view, offset) as V;
  }

  private scratchKey(key: K): Uint8Array {
    if (this.keyScratchLane === undefined || !this.keyScratchLane.write(0, key))
      this.writeKeyAt(this.keyScratch, this.keyScratchView, 0, key);
    return this.keyScratch;
  }

  private scratchValue(): V {
    return this.valueScratchLane === undefined
      ? this.readValueAt(this.valueScratch, this.valueScratchView, 0)
      : (this.valueScratchLane.read(0) as V);
  }

  /** Looks `key` up into the value scratch buffer; false when absent. */
  private lookupIntoScratch(key: K): boolean {
    const handle = this.handle();
    const k = this.scratchKey(key);
    try {
      return this.kernel.mapLookupInto(handle, k, this.valueScratch, 0);
    } catch (error) {
      throw explain(error, `map '${this.name}': lookup`);
    }
  }

  get(key: K): V | undefined {
    return this.lookupIntoScratch(key) ? this.scratchValue() : undefined;
  }

  set(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    if (flags >>> 0 !== flags) this.checkFlags(flags);
    const handle = this.handle();
    const k = this.scratchKey(key);
    if (this.valueScratchLane === undefined || !this.valueScratchLane.write(0, value))
      this.writeValueAt(this.valueScratch, this.valueScratchView, 0, value);
    try {
      this.kernel.mapUpdateElem(handle, k, this.valueScratch, flags);
    } catch (error) {
      throw this.updateFailure(error, "update");
    }
  }

  /** Update flags are a u32 (the addon would truncate 1.5 to NOEXIST). */
  private checkFlags(flags: unknown): void {
    integerArgument(`map '${this.name}': flags`, flags, 0, u32Max);
  }

  /**
   * A failed update in words. E2BIG from an update is a full map (hash kinds: every one of
   * max_entries is taken) or an index past an array's end; `written` says how much of a
   * batch went in before it.
   */
  private updateFailure(error: unknown, what: string, batch?: { written: number; count: number }): BpfError {
    const errno = (error as { errno?: number }).errno;
    const partly = batch ? `; ${batch.written} of the ${batch.count} entries were written before it` : "";
    if (errno === Errno.E2BIG) {
      const cause = arrayTypes.has(this.info.type)
        ? `a key is past the end of the array (it has ${this.info.maxEntries} entries, keys 0…${this.info.maxEntries - 1})`
        : `the map is full (all ${this.info.maxEntries} entries taken): delete entries, or declare a larger maxEntries`;
      return new BpfError(`map '${this.name}': ${what}: ${cause}${partly}`, "E2BIG", { errno, cause: error });
    }
    const explained = explain(error, `map '${this.name}': ${what}`);
    return batch
      ? new BpfError(`${explained.message}${partly}`, explained.code, {
          errno: explained.errno,
          libbpfLog: explained.libbpfLog,
          cause: error,
        })
      : explained;
  }

  delete(key: K): boolean {
    if (
      arrayTypes.has(this.info.type) &&
      this.info.type !== MapType.DEVMAP &&
      this.info.type !== MapType.XSKMAP &&
      this.info.type !== MapType.CPUMAP &&
      this.info.type !== MapType.PROG_ARRAY
    ) {
      throw new BpfError(`map '${this.name}' is an array: its entries cannot be deleted; set them to zero instead`, "EINVAL");
    }
    const handle = this.handle();
    const k = this.scratchKey(key);
    try {
      return this.kernel.mapDeleteElem(handle, k);
    } catch (error) {
      throw explain(error, `map '${this.name}': delete`);
    }
  }

  has(key: K): boolean {
    return this.lookupIntoScratch(key);
  }

  /** Raw keys, robust against concurrent deletes (a deleted cursor restarts the walk; seen keys are skipped). */
  private *rawKeys(): Generator<Uint8Array> {
    const seen = new Set<string>();
    let cursor: Uint8Array | null = null;
    const limit = this.info.maxEntries * 2 + 16;
    for (let i = 0; i < limit; i++) {
      const next = new Uint8Array(this.keySize);
      if (!this.call("iterate", () => this.kernel.mapNextKeyInto(this.handle(), cursor, next))) return;
      const id = Buffer.from(next).toString("hex");
      cursor = next;
      if (seen.has(id)) continue;
      seen.add(id);
      yield next;
    }
  }

  *keys(): IterableIterator<K> {
    for (const raw of this.rawKeys()) yield decode(this.keyCodec, raw) as K;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const raw of this.rawKeys()) {
      const found = this.call("lookup", () => this.kernel.mapLookupInto(this.handle(), raw, this.valueScratch, 0));
      if (found) yield [decode(this.keyCodec, raw) as K, this.scratchValue()];
    }
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  get size(): number {
    let n = 0;
    for (const _ of this.rawKeys()) n++;
    return n;
  }

  clear(): void {
    if (arrayTypes.has(this.info.type)) {
      const zero = new Uint8Array(this.valueBytes);
      for (const raw of this.rawKeys()) this.call("clear", () => this.kernel.mapUpdateElem(this.handle(), raw, zero, 0));
      return;
    }
    const keys = [...this.rawKeys()];
    const packed = new Uint8Array(keys.length * this.keySize);
    keys.forEach((k, i) => packed.set(k, i * this.keySize));
    this.deletePacked(packed, keys.length);
  }

  /** Batch buffers for `count` entries: the spare ones when they are big enough and free. */
  private takeBatch(count: number): BatchBuffers {
    const spare = this.spareBatch;
    if (spare !== undefined && spare.capacity >= count) {
      this.spareBatch = undefined;
      return spare;
    }
    const capacity = Math.max(
      count,
      batchChunk,
      spare ? Math.min(spare.capacity * 2, retainedBatchBytes / (this.keySize + this.valueBytes + 1)) : 0,
    );
    const keys = new Uint8Array(capacity * this.keySize);
    const values = new Uint8Array(capacity * this.valueBytes);
    return {
      capacity,
      keys,
      values,
      keyView: new DataView(keys.buffer),
      keyLane: integerLane(this.keyCodec, keys, this.keySize),
      valueView: new DataView(values.buffer),
      valueLane: this.valueLane(values),
      found: new Uint8Array(capacity),
    };
  }

  private giveBatch(batch: BatchBuffers): void {
    if (batch.capacity * (this.keySize + this.valueBytes + 1) <= retainedBatchBytes && this.nativeHandle !== undefined)
      this.spareBatch = batch;
  }

  private packKeys(batch: BatchBuffers, keys: readonly K[], count: number): void {
    const lane = batch.keyLane;
    const size = this.keySize;
    for (let i = 0; i < count; i++) {
      const key = keys[i]!;
      if (lane === undefined || !lane.write(i, key)) this.writeKeyAt(batch.keys, batch.keyView, i * size, key);
    }
  }

  private checkKeyList(method: string, keys: unknown): void {
    if (!Array.isArray(keys))
      throw invalidArgument("type", `map '${this.name}': ${method}() takes an array of keys, not ${keys === null ? "null" : typeof keys}`);
  }

  /** One lookup per key, all in one native call (the kernel has no batch lookup by key). */
  getMany(keys: readonly K[]): (V | undefined)[] {
    this.checkKeyList("getMany", keys);
    const count = keys.length;
    const out: (V | undefined)[] = [];
    if (count === 0) return out;
    const handle = this.handle();
    const batch = this.takeBatch(count);
    try {
      this.packKeys(batch, keys, count);
      try {
        this.kernel.mapLookupMany(handle, batch.keys, batch.values, batch.found, count);
      } catch (error) {
        throw explain(error, `map '${this.name}': lookup`);
      }
      const { found, valueLane, values, valueView } = batch;
      for (let i = 0; i < count; i++) {
        out.push(
          found[i] === 0
            ? undefined
            : valueLane === undefined
              ? this.readValueAt(values, valueView, i * this.valueBytes)
              : (valueLane.read(i) as V),
        );
      }
      return out;
    } finally {
      this.giveBatch(batch);
    }
  }

  /**
   * BPF_MAP_UPDATE_BATCH, or one update per entry where the map type has no batch op. Every
   * entry is encoded (and checked) before the first one goes to the kernel.
   */
  setMany(entries: Iterable<readonly [K, V]>, flags: number = UpdateFlags.ANY): void {
    if (flags >>> 0 !== flags) this.checkFlags(flags);
    if (entries === null || typeof entries !== "object" || typeof (entries as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function") {
      throw invalidArgument(
        "type",
        `map '${this.name}': setMany() takes an iterable of [key, value] pairs (an array, a Map, entries()), not ${entries === null ? "null" : typeof entries}`,
      );
    }
    const list: readonly (readonly [K, V])[] = Array.isArray(entries) ? entries : Array.from(entries);
    const count = list.length;
    if (count === 0) return;
    const handle = this.handle();
    const batch = this.takeBatch(count);
    try {
      const { keys, keyView, keyLane, values, valueView, valueLane } = batch;
      const keySize = this.keySize;
      const valueBytes = this.valueBytes;
      for (let i = 0; i < count; i++) {
        const entry = list[i]!;
        if (!Array.isArray(entry) || entry.length !== 2)
          throw invalidArgument("type", `map '${this.name}': setMany() entry ${i} is not a [key, value] pair`);
        const key = entry[0];
        const value = entry[1];
        if (keyLane === undefined || !keyLane.write(i, key)) this.writeKeyAt(keys, keyView, i * keySize, key);
        if (valueLane === undefined || !valueLane.write(i, value)) this.writeValueAt(values, valueView, i * valueBytes, value);
      }
      this.updatePacked(handle, keys, values, count, flags);
    } finally {
      this.giveBatch(batch);
    }
  }

  private updatePacked(handle: NativeMapHandle, keys: Uint8Array, values: Uint8Array, count: number, flags: number): void {
    let at = 0;
    // The kernel's batch update takes no flags but BPF_F_LOCK (NOEXIST/EXIST are EINVAL).
    if (batchTypes.has(this.info.type) && (flags & ~BPF_F_LOCK) === 0) {
      try {
        for (; at < count; at += batchChunk)
          this.kernel.mapUpdateBatchFrom(handle, keys, values, at, Math.min(batchChunk, count - at), flags);
        return;
      } catch (error) {
        const e = error as { errno?: number; done?: number };
        if (e.errno === undefined || !unsupportedOperationErrnos.has(e.errno))
          throw this.updateFailure(error, "batch update", { written: at + (e.done ?? 0), count });
        at += e.done ?? 0; // one by one from the entry the batch stopped at: it says what is wrong
      }
    }
    for (let i = at; i < count; i++) {
      const k = keys.subarray(i * this.keySize, (i + 1) * this.keySize);
      const v = values.subarray(i * this.valueBytes, (i + 1) * this.valueBytes);
      try {
        this.kernel.mapUpdateElem(handle, k, v, flags);
      } catch (error) {
        throw this.updateFailure(error, "update", { written: i, count });
      }
    }
  }

  /** BPF_MAP_DELETE_BATCH (absent keys are skipped, not counted); the number deleted. */
  deleteMany(keys: readonly K[]): number {
    this.checkKeyList("deleteMany", keys);
    const count = keys.length;
    if (count === 0) return 0;
    this.handle();
    const batch = this.takeBatch(count);
    try {
      this.packKeys(batch, keys, count);
      return this.deletePacked(batch.keys, count);
    } finally {
      this.giveBatch(batch);
    }
  }

  private deletePacked(keys: Uint8Array, count: number): number {
    if (count === 0) return 0;
    const handle = this.handle();
    if (batchTypes.has(this.info.type) && !arrayTypes.has(this.info.type)) {
      try {
        return this.kernel.mapDeleteMany(handle, keys, count);
      } catch (error) {
        const errno = (error as { errno?: number }).errno;
        if (errno === undefined || !unsupportedOperationErrnos.has(errno)) throw explain(error, `map '${this.name}': batch delete`);
      }
    }
    let n = 0;
    for (let i = 0; i < count; i++) {
      const k = keys.subarray(i * this.keySize, (i + 1) * this.keySize);
      if (this.call("delete", () => this.kernel.mapDeleteElem(handle, k))) n++;
    }
    return n;
  }

  /** Every entry via BPF_MAP_LOOKUP_BATCH (hash and array maps), `chunk` entries per syscall. */
  dump(chunk = batchChunk): IterableIterator<[K, V]> {
    if (!batchTypes.has(this.info.type)) return this.entries();
    integerArgument(`map '${this.name}': dump chunk`, chunk, 1, 1 << 20);
    // Buffers of this dump alone (the caller may use the map between entries).
    const keys = new Uint8Array(chunk * this.keySize);
    const values = new Uint8Array(chunk * this.valueBytes);
    const keyView = new DataView(keys.buffer);
    const valueView = new DataView(values.buffer);
    const keyLane = integerLane(this.keyCodec, keys, this.keySize);
    const valueLane = this.valueLane(values);
    const keySize = this.keySize;
    const valueBytes = this.valueBytes;
    const readKey = keyLane ? (keyLane.read as (i: number) => K) : (i: number) => this.keyCodec.read(keyView, i * keySize) as K;
    const readValue = valueLane ? (valueLane.read as (i: number) => V) : (i: number) => this.readValueAt(values, valueView, i * valueBytes);
    const fetch = (cursorIn: Uint8Array | null, cursorOut: Uint8Array) => {
      try {
        return this.kernel.mapLookupBatchInto(this.handle(), cursorIn, cursorOut, keys, values, chunk);
      } catch (error) {
        throw explain(error, `map '${this.name}': batch lookup`);
      }
    };
    return new BatchDump(fetch, readKey, readValue, Math.max(8, keySize), this.info.maxEntries + 1);
  }

  protected call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof BpfError) throw error;
      throw explain(error, `map '${this.name}': ${what}`);
    }
  }
}

/**
 * The iterator of BpfMap.dump: walks one chunk of decoded-on-demand entries, then asks the
 * kernel for the next (a plain iterator object: cheaper per entry than a generator).
 */
class BatchDump<K, V> implements IterableIterator<[K, V]> {
  private index = 0;
  private count = 0;
  private done = false;
  private rounds = 0;
  private cursorIn: Uint8Array | null = null;
  private cursorOut: Uint8Array;
  private spareCursor: Uint8Array;

  constructor(
    private readonly fetch: (cursorIn: Uint8Array | null, cursorOut: Uint8Array) => { count: number; done: boolean },
    private readonly readKey: (index: number) => K,
    private readonly readValue: (index: number) => V,
    cursorBytes: number,
    private readonly maxRounds: number,
  ) {
    this.cursorOut = new Uint8Array(cursorBytes);
    this.spareCursor = new Uint8Array(cursorBytes);
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this;
  }

  next(): IteratorResult<[K, V]> {
    while (this.index >= this.count) {
      if (this.done || this.rounds++ >= this.maxRounds) return { value: undefined, done: true };
      this.refill();
    }
    const i = this.index++;
    return { value: [this.readKey(i), this.readValue(i)], done: false };
  }

  private refill(): void {
    if (this.rounds > 1) {
      // The kernel's out cursor becomes the next in cursor; the old in cursor is reused as out.
      const next = this.cursorOut;
      this.cursorOut = this.cursorIn ?? this.spareCursor;
      this.cursorIn = next;
    }
    const batch = this.fetch(this.cursorIn, this.cursorOut);
    this.index = 0;
    this.count = batch.count;
    this.done = batch.done;
  }
}

export class BpfPerCpuMap<K = unknown, V = unknown> extends BpfMap<K, V[]> implements PerCpuMap<K, V> {
  private readonly cpus: number;
  private readonly stride: number;

  constructor(name: string, info: NativeMapInfo, keyCodec: Codec, valueCodec: Codec, fdOf: () => number, calls?: KernelCalls) {
    super(name, info, keyCodec, valueCodec, fdOf, calls);
    this.cpus = this.kernel.possibleCpus();
    this.stride = Math.ceil(info.valueSize / 8) * 8;
    this.valueBytes = syscallValueSize(info.type, info.valueSize, this.kernel);
  }

  private decodeAt(view: DataView, offset: number): V[] {
    const out: V[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) out.push(this.valueCodec.read(view, offset + cpu * this.stride) as V);
    return out;
  }

  /** Per-CPU values are arrays: no typed-array lane. */
  protected override valueLane(): undefined {
    return undefined;
  }

  protected override readValueAt(bytes: Uint8Array, view: DataView, offset: number): V[] {
    return this.decodeAt(view, offset);
  }

  /** One value per possible CPU, or one value for every CPU. */
  protected override writeValueAt(bytes: Uint8Array, view: DataView, offset: number, value: V[] | V): void {
    const perCpu =
      Array.isArray(value) && !this.valueCodec.describe.endsWith("]") ? value : Array.from({ length: this.cpus }, () => value as V);
    if (perCpu.length !== this.cpus)
      throw invalidArgument(
        "range",
        `map '${this.name}': a per-CPU value needs ${this.cpus} entries (one per possible CPU), got ${perCpu.length}`,
      );
    bytes.fill(0, offset, offset + this.valueBytes);
    try {
      for (let cpu = 0; cpu < this.cpus; cpu++) this.valueCodec.write(view, offset + cpu * this.stride, perCpu[cpu]);
    } catch (error) {
      throw invalidValue(`map '${this.name}': bad value (${this.valueCodec.describe} expected)`, error);
    }
  }

  /** The per-CPU values added up (numbers, bigints, or struct fields of either). */
  sum(key: K): V | undefined {
    const values = this.get(key);
    return values === undefined ? undefined : sumValues(values);
  }
}

function sumValues<V>(values: V[]): V {
  const add = (a: unknown, b: unknown): unknown => {
    if (typeof a === "bigint" && typeof b === "bigint") return a + b;
    if (typeof a === "number" && typeof b === "number") return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => add(x, b[i]));
    if (a && b && typeof a === "object" && !(a instanceof Uint8Array)) {
      return Object.fromEntries(Object.keys(a).map((k) => [k, add((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])]));
    }
    return a;
  };
  return values.reduce((acc, v) => add(acc, v) as V);
}

export function isPerCpu(type: number): boolean {
  return perCpuTypes.has(type);
}

/**
 * Maps of kernel objects (devices, CPUs, sockets, programs) are declared by size: their
 * 4-byte keys and values are u32 indexes, ifindexes and fds.
 */
const kernelIndexedTypes = new Set<number>([MapType.PROG_ARRAY, MapType.DEVMAP, MapType.CPUMAP, MapType.XSKMAP, MapType.DEVMAP_HASH]);
const u32Codec = codecFromLayout({ kind: "int", bits: 32, signed: false });

/** A map's key and value codecs: from `btf`, u32 for kernel-indexed maps declared by size, else bytes. */
export function mapCodecs(btf: Btf | undefined, info: NativeMapInfo, what = `map '${info.name}'`): { keyCodec: Codec; valueCodec: Codec } {
  const kernelIndexed = kernelIndexedTypes.has(info.type);
  return {
    keyCodec:
      info.btfKeyTypeId === 0 && kernelIndexed && info.keySize === 4
        ? u32Codec
        : codecFor(btf, info.btfKeyTypeId, info.keySize, `the key of ${what}`),
    valueCodec:
      info.btfValueTypeId === 0 && kernelIndexed && info.valueSize === 4
        ? u32Codec
        : codecFor(btf, info.btfValueTypeId, info.valueSize, `the value of ${what}`),
  };
}

/** A BpfMap, or a BpfPerCpuMap for per-CPU map types. */
export function typedMap(
  name: string,
  info: NativeMapInfo,
  keyCodec: Codec,
  valueCodec: Codec,
  fdOf: () => number,
  kernel?: KernelCalls,
): BpfMap {
  return isPerCpu(info.type)
    ? new BpfPerCpuMap(name, info, keyCodec, valueCodec, fdOf, kernel)
    : new BpfMap(name, info, keyCodec, valueCodec, fdOf, kernel);
}

/** Bytes of one value as map syscalls see it: per-CPU maps carry every possible CPU's, each 8-byte aligned. */
export function syscallValueSize(type: number, valueSize: number, kernel: Pick<KernelCalls, "possibleCpus"> = native()): number {
  return isPerCpu(type) ? Math.ceil(valueSize / 8) * 8 * kernel.possibleCpus() : valueSize;
}

/** Records of a RingBuf map, decoded, as an async iterator (waits on the event loop while idle). */
export interface RingBufReader<T> extends AsyncIterable<T> {
  readonly name: string;
  readonly fd: number;
  /** Records available now, without waiting. */
  drain(limit?: number): T[];
}

export class BpfRingBuf<T = unknown> implements RingBufReader<T> {
  private ring: unknown;

  /** A bound on each idle wait, so a reader whose object closes elsewhere notices. */
  private readonly idleWakeMs = 1000;

  constructor(
    readonly name: string,
    private readonly codec: Codec,
    private readonly fdOf: () => number,
    private readonly calls?: KernelCalls,
  ) {}

  /** The backend: the native addon (default) or the VM. */
  private get kernel(): KernelCalls {
    return this.calls ?? native();
  }

  get fd(): number {
    const fd = this.fdOf();
    if (fd < 0) throw new BpfError(`ring buffer '${this.name}' is not loaded yet: call load() first`, "EBADF");
    return fd;
  }

  private handle(): unknown {
    this.ring ??= this.kernel.ringNew(this.fd);
    return this.ring;
  }

  /**
   * Records available now. Without a layout (codec of size 0) records are their bytes; a
   * record shorter than its layout is an error, not bytes passed off as a typed record.
   */
  drain(limit = 4096): T[] {
    integerArgument(`ring buffer '${this.name}': drain() limit`, limit, 1, 1 << 20);
    return this.kernel.ringConsume(this.handle(), limit).map((bytes) => {
      if (this.codec.size === 0) return bytes as T;
      if (bytes.length < this.codec.size) {
        throw new BpfError(
          `ring buffer '${this.name}': a record of ${bytes.length} bytes is shorter than its type ${this.codec.describe} (${this.codec.size} bytes): the program and the record layout disagree — rebuild the skeleton from the same .xdp.ts`,
          "EPROTO",
        );
      }
      return decode(this.codec, bytes) as T;
    });
  }

  private closed = false;

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    // Ends when the map's object is closed; otherwise the consumer breaks out. While the
    // ring is empty it waits on the event loop for the ring's epoll fd (no timer, no thread):
    // a record wakes it at once, and close() ends the wait.
    while (!this.closed) {
      const records = this.drain(256);
      for (const r of records) yield r;
      if (!records.length && !this.closed) await this.kernel.ringWait(this.handle(), this.idleWakeMs);
    }
  }

  close(): void {
    this.closed = true;
    if (this.ring) this.kernel.ringFree(this.ring);
    this.ring = undefined;
  }
}
