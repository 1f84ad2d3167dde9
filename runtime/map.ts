// Typed maps over a map fd: get/set/delete/has, iteration, size, clear and batch variants.
// Keys and values go through codecs built from BTF; per-CPU maps give one value per
// possible CPU.
import { native, type NativeMapInfo } from "./native.js";
import { type Codec, decode, encode } from "./codec.js";
import { explain, BpfError } from "./errors.js";

export const MapType = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, LRU_HASH: 9,
  LRU_PERCPU_HASH: 10, LPM_TRIE: 11, DEVMAP: 14, CPUMAP: 16, XSKMAP: 17, DEVMAP_HASH: 25, RINGBUF: 27,
} as const;
const perCpuTypes = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH]);
const arrayTypes = new Set<number>([MapType.ARRAY, MapType.PROG_ARRAY, MapType.PERCPU_ARRAY, MapType.DEVMAP, MapType.CPUMAP, MapType.XSKMAP]);
const batchTypes = new Set<number>([MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH, MapType.ARRAY, MapType.PERCPU_ARRAY]);

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

export const UpdateFlags = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;

export class BpfMap<K = unknown, V = unknown> implements TypedMap<K, V> {
  /** Bytes of one value as the syscall sees it (per-CPU: every CPU's, 8-byte aligned). */
  protected valueBytes: number;

  /** Reused for every key and value passed to the kernel (the syscall copies them). */
  private readonly keyScratch: Uint8Array;
  private readonly keyScratchView: DataView;

  constructor(
    readonly name: string,
    protected readonly info: NativeMapInfo,
    protected readonly keyCodec: Codec,
    protected readonly valueCodec: Codec,
    private readonly fdOf: () => number,
  ) {
    this.valueBytes = info.valueSize;
    this.keyScratch = new Uint8Array(info.keySize);
    this.keyScratchView = new DataView(this.keyScratch.buffer);
  }

  get fd(): number {
    const fd = this.fdOf();
    if (fd < 0) throw new BpfError(`map '${this.name}' is not loaded yet: call load() first`, "EBADF");
    return fd;
  }
  get type(): number {
    return this.info.type;
  }
  get maxEntries(): number {
    return this.info.maxEntries;
  }

  protected encodeKey(key: K): Uint8Array {
    try {
      this.keyScratch.fill(0);
      this.keyCodec.write(this.keyScratchView, 0, key);
      return this.keyScratch;
    } catch (error) {
      throw new BpfError(`map '${this.name}': bad key (${this.keyCodec.describe} expected): ${(error as Error).message}`, "EINVAL", { cause: error });
    }
  }
  /** Writes a value into `view` at `offset` (batch buffers), or into a fresh buffer. */
  protected writeValue(view: DataView, offset: number, value: V): void {
    try {
      this.valueCodec.write(view, offset, value);
    } catch (error) {
      throw new BpfError(`map '${this.name}': bad value (${this.valueCodec.describe} expected): ${(error as Error).message}`, "EINVAL", { cause: error });
    }
  }

  protected encodeValue(value: V): Uint8Array {
    try {
      return encode(this.valueCodec, value);
    } catch (error) {
      throw new BpfError(`map '${this.name}': bad value (${this.valueCodec.describe} expected): ${(error as Error).message}`, "EINVAL", { cause: error });
    }
  }
  protected decodeValue(bytes: Uint8Array): V {
    return decode(this.valueCodec, bytes) as V;
  }

  /** A value inside a batch buffer. */
  protected readValue(view: DataView, bytes: Uint8Array, offset: number): V {
    return this.valueCodec.read(view, offset) as V;
  }

  get(key: K): V | undefined {
    const bytes = this.call("lookup", () => native().mapLookup(this.fd, this.encodeKey(key), this.valueBytes, 0));
    return bytes === null ? undefined : this.decodeValue(bytes);
  }

  set(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    this.call("update", () => native().mapUpdate(this.fd, this.encodeKey(key), this.encodeValue(value), flags));
  }

  delete(key: K): boolean {
    if (arrayTypes.has(this.info.type) && this.info.type !== MapType.DEVMAP && this.info.type !== MapType.XSKMAP && this.info.type !== MapType.CPUMAP && this.info.type !== MapType.PROG_ARRAY) {
      throw new BpfError(`map '${this.name}' is an array: its entries cannot be deleted; set them to zero instead`, "EINVAL");
    }
    return this.call("delete", () => native().mapDelete(this.fd, this.encodeKey(key)));
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** Raw keys, robust against concurrent deletes (a deleted cursor restarts the walk; seen keys are skipped). */
  private *rawKeys(): Generator<Uint8Array> {
    const seen = new Set<string>();
    let cursor: Uint8Array | null = null;
    const limit = this.info.maxEntries * 2 + 16;
    for (let i = 0; i < limit; i++) {
      const next: Uint8Array | null = this.call("iterate", () => native().mapNextKey(this.fd, cursor, this.info.keySize));
      if (next === null) return;
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
      const value = this.call("lookup", () => native().mapLookup(this.fd, raw, this.valueBytes, 0));
      if (value !== null) yield [decode(this.keyCodec, raw) as K, this.decodeValue(value)];
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
      for (const raw of this.rawKeys()) this.call("clear", () => native().mapUpdate(this.fd, raw, zero, 0));
      return;
    }
    const keys = [...this.rawKeys()];
    this.deleteRaw(keys);
  }

  getMany(keys: readonly K[]): (V | undefined)[] {
    return keys.map((k) => this.get(k));
  }

  /** BPF_MAP_UPDATE_BATCH, or one update per entry where the map type has no batch op. */
  setMany(entries: Iterable<readonly [K, V]>, flags: number = UpdateFlags.ANY): void {
    const list = [...entries];
    if (!list.length) return;
    const keys = new Uint8Array(list.length * this.info.keySize);
    const values = new Uint8Array(list.length * this.valueBytes);
    const keyView = new DataView(keys.buffer);
    const valueView = new DataView(values.buffer);
    for (let i = 0; i < list.length; i++) {
      const [k, v] = list[i]!;
      try {
        this.keyCodec.write(keyView, i * this.info.keySize, k);
      } catch (error) {
        throw new BpfError(`map '${this.name}': bad key (${this.keyCodec.describe} expected): ${(error as Error).message}`, "EINVAL", { cause: error });
      }
      this.writeValue(valueView, i * this.valueBytes, v);
    }
    if (batchTypes.has(this.info.type)) {
      try {
        // Chunks keep the kernel's temporary copies small (it allocates per call).
        const chunk = 4096;
        for (let off = 0; off < list.length; off += chunk) {
          const count = Math.min(chunk, list.length - off);
          native().mapUpdateBatch(this.fd, keys.subarray(off * this.info.keySize, (off + count) * this.info.keySize), values.subarray(off * this.valueBytes, (off + count) * this.valueBytes), count, flags);
        }
        return;
      } catch (error) {
        if ((error as { errno?: number }).errno !== 22 && (error as { errno?: number }).errno !== 95) throw explain(error, `map '${this.name}': batch update`);
      }
    }
    for (let i = 0; i < list.length; i++) {
      const k = keys.subarray(i * this.info.keySize, (i + 1) * this.info.keySize);
      const v = values.subarray(i * this.valueBytes, (i + 1) * this.valueBytes);
      this.call("update", () => native().mapUpdate(this.fd, k, v, flags));
    }
  }

  deleteMany(keys: readonly K[]): number {
    return this.deleteRaw(keys.map((k) => this.encodeKey(k).slice()));
  }

  private deleteRaw(keys: Uint8Array[]): number {
    if (!keys.length) return 0;
    if (batchTypes.has(this.info.type) && !arrayTypes.has(this.info.type)) {
      const all = new Uint8Array(keys.length * this.info.keySize);
      keys.forEach((k, i) => all.set(k, i * this.info.keySize));
      try {
        return native().mapDeleteBatch(this.fd, all, keys.length);
      } catch (error) {
        if ((error as { errno?: number }).errno !== 22 && (error as { errno?: number }).errno !== 95) throw explain(error, `map '${this.name}': batch delete`);
      }
    }
    let n = 0;
    for (const k of keys) if (this.call("delete", () => native().mapDelete(this.fd, k))) n++;
    return n;
  }

  /** Every entry via BPF_MAP_LOOKUP_BATCH (hash and array maps), in chunks. */
  *dump(chunk = 4096): IterableIterator<[K, V]> {
    if (!batchTypes.has(this.info.type)) {
      yield* this.entries();
      return;
    }
    let cursor: Uint8Array | null = null;
    for (let round = 0; round < this.info.maxEntries + 1; round++) {
      const batch: ReturnType<ReturnType<typeof native>["mapLookupBatch"]> = this.call("batch lookup", () => native().mapLookupBatch(this.fd, cursor, this.info.keySize, this.valueBytes, chunk));
      const keyView = new DataView(batch.keys.buffer, batch.keys.byteOffset, batch.keys.byteLength);
      const valueView = new DataView(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
      for (let i = 0; i < batch.count; i++) {
        yield [this.keyCodec.read(keyView, i * this.info.keySize) as K, this.readValue(valueView, batch.values, i * this.valueBytes)];
      }
      if (batch.cursor === null) return;
      cursor = batch.cursor;
    }
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

export class BpfPerCpuMap<K = unknown, V = unknown> extends BpfMap<K, V[]> implements PerCpuMap<K, V> {
  private readonly cpus: number;
  private readonly stride: number;

  constructor(name: string, info: NativeMapInfo, keyCodec: Codec, valueCodec: Codec, fdOf: () => number) {
    super(name, info, keyCodec, valueCodec, fdOf);
    this.cpus = native().possibleCpus();
    this.stride = Math.ceil(info.valueSize / 8) * 8;
    this.valueBytes = this.stride * this.cpus;
  }

  protected override decodeValue(bytes: Uint8Array): V[] {
    return Array.from({ length: this.cpus }, (_, cpu) => decode(this.valueCodec, bytes, cpu * this.stride) as V);
  }

  protected override encodeValue(value: V[] | V): Uint8Array {
    const perCpu = Array.isArray(value) && !(this.valueCodec.describe.endsWith("]")) ? value : Array.from({ length: this.cpus }, () => value as V);
    if (perCpu.length !== this.cpus) throw new BpfError(`map '${this.name}': a per-CPU value needs ${this.cpus} entries (one per possible CPU), got ${perCpu.length}`, "EINVAL");
    const bytes = new Uint8Array(this.valueBytes);
    perCpu.forEach((v, cpu) => bytes.set(encode(this.valueCodec, v), cpu * this.stride));
    return bytes;
  }

  protected override readValue(view: DataView, bytes: Uint8Array, offset: number): V[] {
    return this.decodeValue(bytes.subarray(offset, offset + this.valueBytes));
  }

  protected override writeValue(view: DataView, offset: number, value: V[]): void {
    new Uint8Array(view.buffer, view.byteOffset + offset, this.valueBytes).set(this.encodeValue(value));
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

/** Records of a RingBuf map, decoded, as an async iterator (polls the ring while idle). */
export interface RingBufReader<T> extends AsyncIterable<T> {
  readonly name: string;
  readonly fd: number;
  /** Records available now, without waiting. */
  drain(limit?: number): T[];
}

export class BpfRingBuf<T = unknown> implements RingBufReader<T> {
  private ring: unknown;

  constructor(readonly name: string, private readonly codec: Codec, private readonly fdOf: () => number, private readonly pollMs = 5) {}

  get fd(): number {
    const fd = this.fdOf();
    if (fd < 0) throw new BpfError(`ring buffer '${this.name}' is not loaded yet: call load() first`, "EBADF");
    return fd;
  }

  private handle(): unknown {
    this.ring ??= native().ringNew(this.fd);
    return this.ring;
  }

  /**
   * Records available now. Without a layout (codec of size 0) records are their bytes; a
   * record shorter than its layout is an error, not bytes passed off as a typed record.
   */
  drain(limit = 4096): T[] {
    return native().ringConsume(this.handle(), limit).map((bytes) => {
      if (this.codec.size === 0) return bytes as T;
      if (bytes.length < this.codec.size) {
        throw new BpfError(`ring buffer '${this.name}': a record of ${bytes.length} bytes is shorter than its type ${this.codec.describe} (${this.codec.size} bytes): the program and the record layout disagree — rebuild the skeleton from the same .xdp.ts`, "EPROTO");
      }
      return decode(this.codec, bytes) as T;
    });
  }

  private closed = false;

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    // Ends when the map's object is closed; otherwise the consumer breaks out.
    while (!this.closed) {
      const records = this.drain(256);
      for (const r of records) yield r;
      if (!records.length) await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  close(): void {
    this.closed = true;
    if (this.ring) native().ringFree(this.ring);
    this.ring = undefined;
  }
}
