// BpfObject: an ELF object opened with libbpf, its programs, maps and global variables,
// with codecs from the object's BTF. open() reads the spec; load() creates kernel objects.
import fs from "node:fs";
import path from "node:path";
import { native, type KernelCalls, type NativeMapInfo } from "./native.js";
import { Btf, BtfKind } from "./btf.js";
import { type Codec, type LayoutSpec, codecFor, codecFromLayout, decode, encode, rawCodec } from "./codec.js";
import { BpfError, VerifierError, explain, invalidValue, isolatedFailure, malformedBtf } from "./errors.js";
import { BpfMap, BpfRingBuf, mapCodecs, typedMap, type RingBufReader } from "./map.js";
import { BPF_FS_MAGIC, Errno, MapType } from "./kernel.js";
import { extractVerifierLog } from "./verifier-log.js";
import { BpfProgram } from "./program.js";
import { LogStream, logLevelValue, readLogTable, type LogLevel, type LogTable } from "./logs.js";
import type { VmKernel } from "./vm/kernel.js";
import type { VmOptions } from "./vm/machine.js";
import "./dispose.js";

export interface OpenOptions {
  /** Reuse maps pinned in this bpffs directory (by map name), and pin new ones there at load. */
  pinMaps?: string;
  /** Object name (prefix of internal map names); default: the file's base name. */
  name?: string;
  /**
   * Try libbpf's parse and load in a forked child first, so a malformed ELF that crashes
   * libbpf (1.1 has such parser bugs) gives an error instead of killing this process.
   * Default true; false saves one fork per open/load (and a second verification) for
   * objects you trust.
   */
  isolate?: boolean;
  /**
   * The lowest log.* level the programs write (default "debug": all); set before load as
   * `.rodata`, so a disabled level costs one branch the verifier prunes. "off": none.
   */
  logLevel?: LogLevel | "off";
  /**
   * "kernel" (default): libbpf and the running kernel. "vm": the BPF VM in this process
   * (no root, no kernel, no native addon); `vm` holds its settings.
   */
  backend?: "kernel" | "vm";
  /** VM backend settings: CPUs, clock, random seed, routing table, instruction budget. */
  vm?: VmOptions;
}

/** Time limits of the isolated child (parse is milliseconds; load includes verification). */
const isolateParseMs = 10_000;
const isolateLoadMs = 120_000;

export interface Variable<T = unknown> {
  get(): T;
  set(value: T): void;
}

interface VariableSpec {
  section: string;
  offset: number;
  codec: Codec;
}

export class BpfObject implements Disposable, AsyncDisposable {
  private handle: unknown;
  private loaded = false;
  private readonly btf?: Btf;
  private mapInfos: NativeMapInfo[];
  private programFds = new Map<string, number>();
  private readonly programCache = new Map<string, BpfProgram>();
  private readonly mapCache = new Map<string, BpfMap | BpfRingBuf>();
  private readonly sectionMaps = new Map<string, BpfMap<Uint8Array, Uint8Array>>();
  private readonly variables = new Map<string, VariableSpec>();
  private readonly ringLayouts = new Map<string, LayoutSpec>();

  /** The log lines of the programs' log.* calls (empty when nothing in the object logs). */
  readonly logs: LogStream;

  private constructor(
    handle: unknown,
    readonly name: string,
    private readonly isolate: boolean,
    private readonly logTable: LogTable | undefined,
    private readonly kernel: KernelCalls,
  ) {
    this.handle = handle;
    const raw = kernel.objectBtf(handle);
    if (raw) {
      try {
        this.btf = new Btf(raw);
      } catch {
        this.btf = undefined; // maps then get raw-byte codecs
      }
    }
    this.mapInfos = this.kernel.objectMaps(handle);
    for (const p of this.kernel.objectPrograms(handle)) this.programFds.set(p.name, p.fd);
    try {
      this.indexVariables();
    } catch (error) {
      throw malformedBtf(error, `BPF object '${name}'`);
    }
    this.logs = new LogStream(logTable, () => (logTable ? (this.ringBuf(logTable.map) as BpfRingBuf<Uint8Array>) : undefined));
  }

  /** Opens an ELF object (a path or its bytes) without loading it. */
  static async open(source: string | Uint8Array, options: OpenOptions = {}): Promise<BpfObject> {
    const bytes = typeof source === "string" ? await readObject(source) : source;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0)
      throw new BpfError("BpfObject.open: expected a path or the ELF bytes", "EINVAL");
    const name =
      options.name ??
      (typeof source === "string"
        ? path
            .basename(source)
            .replace(/\.o$/, "")
            .replace(/[^A-Za-z0-9_]/g, "_")
        : "tsxdp");
    const backend = options.backend ?? "kernel";
    if (backend !== "kernel" && backend !== "vm")
      throw new BpfError(`BpfObject.open: backend must be "kernel" or "vm", got ${JSON.stringify(backend)}`, "EINVAL");
    if (backend === "vm" && options.pinMaps)
      throw new BpfError("BpfObject.open: pinMaps needs the kernel backend (the VM has no bpffs)", "EINVAL");
    // The VM is loaded only for { backend: "vm" } (kernel users never load it or its ELF reader).
    const kernel: KernelCalls = backend === "vm" ? new (await import("./vm/kernel.js")).VmKernel(options.vm) : native();
    const isolate = backend === "vm" ? false : (options.isolate ?? true);
    if (options.logLevel !== undefined) logLevelValue(options.logLevel); // a bad level throws before anything is opened
    let handle: unknown;
    try {
      handle = kernel.objectOpen(bytes, name, "", isolate ? isolateParseMs : 0);
    } catch (error) {
      const what = `open BPF object${typeof source === "string" ? ` '${source}'` : ""}`;
      throw isolatedFailure(error, "parse", what) ?? explain(error, `${what} (is it a BPF ELF file?)`);
    }
    let object: BpfObject;
    try {
      object = new BpfObject(handle, name, isolate, readLogTable(bytes), kernel);
    } catch (error) {
      kernel.objectClose(handle);
      throw error;
    }
    try {
      if (options.pinMaps) object.pinMapsIn(options.pinMaps);
      if (options.logLevel !== undefined) object.setLogLevel(options.logLevel);
    } catch (error) {
      object.close();
      throw error;
    }
    return object;
  }

  private pinMapsIn(dir: string): void {
    ensureBpffsDir(dir);
    for (const m of this.mapInfos) {
      if (m.internal) continue;
      this.kernel.mapSetPinPath(this.handle, m.name, path.join(dir, m.name));
    }
  }

  /**
   * The libbpf object, or an EBADF error once closed. Every handle taken from this object
   * (maps, programs, variables) goes through it before using a descriptor: after close()
   * the numbers are free and the kernel reuses them for whatever is opened next, so a stale
   * handle would act on another object's map.
   */
  private get live(): unknown {
    if (!this.handle)
      throw new BpfError(
        `BPF object '${this.name}' is closed: its programs, maps and variables were released with it (open and load the object again to use them)`,
        "EBADF",
      );
    return this.handle;
  }

  /** `fd` (-1 before load) while the object is open; the EBADF error of `live` after close(). */
  private liveFd(fd: number | undefined): number {
    return this.live ? (fd ?? -1) : -1;
  }

  /** Loads every program and creates every map; a verifier rejection is a VerifierError. */
  async load(): Promise<this> {
    const handle = this.live;
    if (this.loaded) return this;
    try {
      this.kernel.objectLoad(handle, this.isolate ? isolateLoadMs : 0);
    } catch (error) {
      const crashed = isolatedFailure(error, "load", `load BPF object '${this.name}'`);
      if (crashed) throw crashed;
      const log = (error as { libbpfLog?: string }).libbpfLog ?? "";
      const rejected = /prog '([^']+)': BPF program load failed/.exec(log);
      if (rejected) {
        throw new VerifierError(rejected[1]!, extractVerifierLog(log), (error as { errno?: number }).errno, error);
      }
      throw this.pinnedMapMismatch(error, log) ?? explain(error, `load BPF object '${this.name}'`);
    }
    this.loaded = true;
    this.mapInfos = this.kernel.objectMaps(this.live);
    for (const p of this.kernel.objectPrograms(this.live)) this.programFds.set(p.name, p.fd);
    return this;
  }

  /**
   * libbpf refuses to reuse a pinned map whose type, sizes, max entries or flags differ from
   * the object's (an upgrade changed the layout) and says only "parameter mismatch" in its
   * log, then EINVAL. This names the map and what differs, and what to do.
   */
  private pinnedMapMismatch(error: unknown, log: string): BpfError | undefined {
    const pinPath = /couldn't reuse pinned map at '([^']+)': parameter mismatch/.exec(log)?.[1];
    if (!pinPath) return undefined;
    const spec = this.mapInfos.find((m) => !m.internal && path.basename(pinPath) === m.name);
    const differences: string[] = [];
    try {
      const fd = native().objGet(pinPath);
      try {
        const pinned = native().mapInfo(fd);
        if (spec) {
          const compare = (what: string, there: number, here: number, show: (n: number) => string = String) => {
            if (there !== here) differences.push(`${what} ${show(there)} pinned, ${show(here)} in this object`);
          };
          compare("map type", pinned.type, spec.type);
          compare("key size", pinned.keySize, spec.keySize, (n) => `${n} bytes`);
          compare("value size", pinned.valueSize, spec.valueSize, (n) => `${n} bytes`);
          compare("max entries", pinned.maxEntries, spec.maxEntries);
          compare("flags", pinned.flags, spec.flags, (n) => `0x${n.toString(16)}`);
        }
      } finally {
        native().close(fd);
      }
    } catch {
      // The pin went away meanwhile: the message below still names it.
    }
    const what = differences.length ? differences.join("; ") : "its parameters differ from this object's";
    return new BpfError(
      `load BPF object '${this.name}': map '${spec?.name ?? path.basename(pinPath)}' is pinned at ${pinPath} with a different layout (${what}). ` +
        `The pin holds the data of a build with the old layout: to keep it, load that build (or copy the data out with tsxdp maps ${pinPath} first); ` +
        `to start with an empty map, remove the pin (rm ${pinPath}) and load again`,
      "EINVAL",
      { errno: (error as { errno?: number }).errno, libbpfLog: log, cause: error },
    );
  }

  /** Log lines read from another instance of this object's log ring (found by id, or pinned). */
  logsOver(ring: RingBufReader<Uint8Array>): LogStream {
    return new LogStream(this.logTable, () => ring);
  }

  /** The lowest log.* level the programs write; before load() only (it is `.rodata`). */
  setLogLevel(level: LogLevel | "off"): void {
    const value = logLevelValue(level);
    if (this.logTable) this.variable<number>(this.logTable.levelVariable).set(value);
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** "kernel" or "vm". */
  get backend(): "kernel" | "vm" {
    return this.kernel.backend === "vm" ? "vm" : "kernel";
  }

  /**
   * The VM behind a { backend: "vm" } object (its clock, CPU, random seed and routing table
   * can be changed between runs); undefined on the kernel backend.
   */
  get vm(): VmKernel["machine"] | undefined {
    return this.kernel.backend === "vm" ? (this.kernel as VmKernel).machine : undefined;
  }

  program(name: string): BpfProgram {
    let p = this.programCache.get(name);
    if (!p) {
      if (!this.programFds.has(name))
        throw new BpfError(
          `no program '${name}' in '${this.name}' (it has: ${[...this.programFds.keys()].join(", ") || "none"})`,
          "ENOENT",
        );
      p = new BpfProgram(name, () => this.liveFd(this.programFds.get(name)), this.kernel);
      this.programCache.set(name, p);
    }
    return p;
  }

  map<K = unknown, V = unknown>(name: string): BpfMap<K, V> {
    const m = this.anyMap(name);
    if (m instanceof BpfRingBuf)
      throw new BpfError(`'${name}' is a ring buffer: use ringBuf('${name}') or iterate it with for await`, "EINVAL");
    return m as BpfMap<K, V>;
  }

  /**
   * A RingBuf map. BTF does not say what a ring carries, so records are bytes unless a
   * layout is given (skeletons pass the record type from the .xdp.ts source).
   */
  ringBuf<T = unknown>(name: string, record?: LayoutSpec): BpfRingBuf<T> {
    if (record) this.ringLayouts.set(name, record);
    const m = this.anyMap(name);
    if (!(m instanceof BpfRingBuf)) throw new BpfError(`'${name}' is not a ring buffer`, "EINVAL");
    return m as BpfRingBuf<T>;
  }

  /** Map by name: a BpfMap, a BpfPerCpuMap, or a BpfRingBuf for RingBuf maps. */
  anyMap(name: string): BpfMap | BpfRingBuf {
    let m = this.mapCache.get(name);
    if (m) return m;
    const info = this.mapInfos.find((i) => i.name === name && !i.internal);
    if (!info)
      throw new BpfError(
        `no map '${name}' in '${this.name}' (it has: ${
          this.mapInfos
            .filter((i) => !i.internal)
            .map((i) => i.name)
            .join(", ") || "none"
        })`,
        "ENOENT",
      );
    const fdOf = () => this.liveFd(this.mapInfos.find((i) => i.name === name)?.fd);
    m = this.typedMap(info, fdOf);
    this.mapCache.set(name, m);
    return m;
  }

  /** A typed map of this object's spec over an fd (codecs from the object's BTF). */
  private typedMap(info: NativeMapInfo, fdOf: () => number): BpfMap | BpfRingBuf {
    const name = info.name;
    if (info.type === MapType.RINGBUF) return new BpfRingBuf(name, this.ringRecordCodec(name), fdOf, this.kernel);
    const { keyCodec, valueCodec } = mapCodecs(this.btf, info, `map '${name}' of '${this.name}'`);
    return typedMap(name, info, keyCodec, valueCodec, fdOf, this.kernel);
  }

  /** What the object declares for its maps (name, type, sizes; `internal` for .rodata/.data/.bss). */
  get mapSpecs(): readonly NativeMapInfo[] {
    return this.mapInfos.map((i) => ({ ...i }));
  }

  /**
   * A typed view of a kernel map that is an instance of this object's map `name` (found by
   * id, opened from a pin, or held by another process), decoded with this object's BTF.
   * The caller owns `fd` and closes it after the view.
   */
  mapOverFd<K = unknown, V = unknown>(name: string, fd: number): BpfMap<K, V> | BpfRingBuf<V> {
    const info = this.mapInfos.find((i) => i.name === name && !i.internal);
    if (!info) throw new BpfError(`no map '${name}' in '${this.name}'`, "ENOENT");
    return this.typedMap({ ...info, fd }, () => fd) as BpfMap<K, V> | BpfRingBuf<V>;
  }

  private ringRecordCodec(name: string): Codec {
    const layout = this.ringLayouts.get(name);
    return layout ? codecFromLayout(layout) : rawCodec(0);
  }

  get programs(): Record<string, BpfProgram> {
    return Object.fromEntries([...this.programFds.keys()].map((n) => [n, this.program(n)]));
  }

  get maps(): Record<string, BpfMap | BpfRingBuf> {
    return Object.fromEntries(this.mapInfos.filter((i) => !i.internal).map((i) => [i.name, this.anyMap(i.name)]));
  }

  /** Names of the global variables (config in .rodata, globals in .data/.bss). */
  get variableNames(): string[] {
    return [...this.variables.keys()];
  }

  private indexVariables(): void {
    if (!this.btf) return;
    for (const t of this.btf.types) {
      if (t.kind !== BtfKind.DATASEC || ![".rodata", ".data", ".bss"].includes(t.name)) continue;
      for (const v of t.vars!) {
        const variable = this.btf.type(v.type);
        if (variable.kind !== BtfKind.VAR) continue;
        this.variables.set(variable.name, { section: t.name, offset: v.offset, codec: codecFor(this.btf, variable.sizeOrType, v.size) });
      }
    }
  }

  private sectionMap(section: string): NativeMapInfo {
    const info = this.mapInfos.find((m) => m.internal && m.name.endsWith(section));
    if (!info) throw new BpfError(`'${this.name}' has no ${section} section`, "ENOENT");
    return info;
  }

  /** The loaded map of a global section, as one value of bytes at key 0. */
  private sectionMapOf(info: NativeMapInfo): BpfMap<Uint8Array, Uint8Array> {
    let map = this.sectionMaps.get(info.name);
    if (!map) {
      // The object's own section map, through the object's backend (the VM has no fds to look up).
      map = typedMap(info.name, info, rawCodec(info.keySize), rawCodec(info.valueSize), () => info.fd, this.kernel) as BpfMap<
        Uint8Array,
        Uint8Array
      >;
      this.sectionMaps.set(info.name, map);
    }
    return map;
  }

  /** A global: read and write before load (the initial value), and after (the live map). */
  variable<T = unknown>(name: string): Variable<T> {
    const spec = this.variables.get(name);
    if (!spec)
      throw new BpfError(`no global variable '${name}' in '${this.name}' (it has: ${this.variableNames.join(", ") || "none"})`, "ENOENT");
    const read = (): Uint8Array => {
      const handle = this.live;
      const info = this.sectionMap(spec.section);
      if (!this.loaded) return this.kernel.mapInitialValue(handle, info.name);
      const value = this.sectionMapOf(info).get(sectionKey);
      if (!value) throw new BpfError(`cannot read ${spec.section}`, "EIO");
      return value;
    };
    return {
      get: () => decode(spec.codec, read(), spec.offset) as T,
      set: (value: T) => {
        this.live; // a closed object says so before anything else
        const info = this.sectionMap(spec.section);
        if (this.loaded && spec.section === ".rodata")
          throw new BpfError(`'${name}' is configuration (.rodata): set it before load()`, "EPERM");
        let encoded: Uint8Array;
        try {
          encoded = encode(spec.codec, value);
        } catch (error) {
          throw invalidValue(`'${name}': bad value (${spec.codec.describe} expected)`, error);
        }
        const bytes = new Uint8Array(read());
        bytes.set(encoded, spec.offset);
        if (!this.loaded) this.kernel.mapSetInitialValue(this.live, info.name, bytes);
        else this.sectionMapOf(info).set(sectionKey, bytes);
      },
    };
  }

  close(): void {
    if (!this.handle) return;
    for (const m of this.mapCache.values()) m instanceof BpfRingBuf ? m.close() : m.release();
    for (const m of this.sectionMaps.values()) m.release();
    this.sectionMaps.clear();
    this.kernel.objectClose(this.handle);
    this.handle = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/** The one key of a global section's map (an array of one value). */
const sectionKey = new Uint8Array(4);

async function readObject(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.promises.readFile(file));
  } catch (error) {
    throw explain(Object.assign(error as object, { errno: Errno.ENOENT }), `read '${file}'`);
  }
}

/**
 * Creates a pin folder on bpffs, one level at a time (Node's recursive mkdir can spin on
 * sysfs, which is what /sys/fs/bpf is when bpffs is not mounted — e.g. under ip netns exec).
 * Folders it creates are 0700. A folder that exists already must be safe to pin in: a pin
 * is a file, and whoever may write the folder may remove it (and so detach a pinned link) or
 * put their own map in its place. So the folder itself must belong to this user and be
 * writable by nobody else; the bpffs folders above it must belong to root or this user, and
 * be writable by others only with the sticky bit (as a bpffs root mounted without mode= is).
 */
export function ensureBpffsDir(dir: string): void {
  const absolute = path.resolve(dir);
  const parts = absolute.split("/").filter(Boolean);
  let current = "";
  for (const [index, part] of parts.entries()) {
    current += `/${part}`;
    const last = index === parts.length - 1;
    if (fs.existsSync(current)) {
      if (fs.statfsSync(current).type === BPF_FS_MAGIC) checkPinFolder(current, dir, last);
      continue;
    }
    const parent = path.dirname(current);
    if (fs.statfsSync(parent).type !== BPF_FS_MAGIC) {
      throw new BpfError(
        `cannot pin under ${dir}: ${parent} is not a BPF filesystem (mount one: mount -t bpf -o mode=0700 bpf /sys/fs/bpf; ip netns exec gives commands a fresh /sys without it)`,
        "ENOTSUP",
      );
    }
    fs.mkdirSync(current, { mode: 0o700 });
  }
  if (fs.statfsSync(absolute).type !== BPF_FS_MAGIC)
    throw new BpfError(`cannot pin under ${dir}: not a BPF filesystem (mount -t bpf -o mode=0700 bpf /sys/fs/bpf)`, "ENOTSUP");
}

const S_ISVTX = 0o1000;

/** Refuses a bpffs folder another user controls (see ensureBpffsDir). */
function checkPinFolder(folder: string, dir: string, isTarget: boolean): void {
  const stat = fs.statSync(folder);
  const uid = process.geteuid?.() ?? 0;
  const refuse = (why: string, fix: string) => {
    throw new BpfError(
      `refusing to pin under ${dir}: ${folder} ${why}, so another user could remove or replace the pins there (and detach a pinned link); ${fix}`,
      "EPERM",
    );
  };
  if (!stat.isDirectory()) refuse("is not a folder", "choose another path");
  const ownedBy = stat.uid === uid ? "you" : stat.uid === 0 ? "root" : `uid ${stat.uid}`;
  if (isTarget) {
    if (stat.uid !== uid)
      refuse(`belongs to ${ownedBy}, not to this user (uid ${uid})`, `use a folder of your own (remove this one, or chown it)`);
    if (stat.mode & 0o022)
      refuse(
        `is writable by ${stat.mode & 0o002 ? "every user" : "its group"} (mode ${(stat.mode & 0o7777).toString(8)})`,
        `chmod go-w ${folder}`,
      );
    return;
  }
  if (stat.uid !== uid && stat.uid !== 0) refuse(`belongs to ${ownedBy}`, "pin somewhere else");
  if (stat.mode & 0o022 && !(stat.mode & S_ISVTX))
    refuse(
      `is writable by others without the sticky bit (mode ${(stat.mode & 0o7777).toString(8)})`,
      `chmod go-w ${folder}, or mount bpffs with -o mode=0700`,
    );
}
