// Loads the native addon (build/Release/tsxdp_bpf.node). A missing build or a missing system
// library becomes one error that says what to install, not a dlopen message.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fs from "node:fs";

export interface NativeBpf {
  /** isolateMs > 0: libbpf parses in a forked child first (native/src/isolate.c). */
  objectOpen(elf: Uint8Array, name: string, pinRoot: string, isolateMs: number): unknown;
  objectLoad(handle: unknown, isolateMs: number): void;
  objectClose(handle: unknown): void;
  objectPrograms(handle: unknown): { name: string; section: string; fd: number }[];
  objectMaps(handle: unknown): NativeMapInfo[];
  objectBtf(handle: unknown): Uint8Array | undefined;
  mapInitialValue(handle: unknown, name: string): Uint8Array;
  mapSetInitialValue(handle: unknown, name: string, bytes: Uint8Array): void;
  mapSetPinPath(handle: unknown, name: string, path: string): void;
  // maps (native/src/map.c): entries are read and written through map handles only — an
  // owned fd plus the map's real sizes, which every buffer is checked against.
  mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, name: string): number;
  mapInfo(fd: number): NativeMapInfo & { id: number; btfId: number };
  mapOpen(fd: number, keySize: number, valueSize: number): NativeMapHandle;
  mapClose(handle: NativeMapHandle): void;
  /** false after the last key; `next` is written in place. */
  mapNextKeyInto(handle: NativeMapHandle, key: Uint8Array | null, next: Uint8Array): boolean;
  mapLookupInto(handle: NativeMapHandle, key: Uint8Array, value: Uint8Array, flags: number): boolean;
  mapUpdateElem(handle: NativeMapHandle, key: Uint8Array, value: Uint8Array, flags: number): void;
  mapDeleteElem(handle: NativeMapHandle, key: Uint8Array): boolean;
  mapLookupMany(handle: NativeMapHandle, keys: Uint8Array, values: Uint8Array, found: Uint8Array, count: number): number;
  mapUpdateBatchFrom(handle: NativeMapHandle, keys: Uint8Array, values: Uint8Array, start: number, count: number, flags: number): number;
  mapDeleteMany(handle: NativeMapHandle, keys: Uint8Array, count: number): number;
  mapLookupBatchInto(
    handle: NativeMapHandle,
    inCursor: Uint8Array | null,
    outCursor: Uint8Array,
    keys: Uint8Array,
    values: Uint8Array,
    count: number,
  ): { count: number; done: boolean };
  progLoadRaw(type: number, insns: Uint8Array, license: string, name: string): number;
  progInfo(fd: number): NativeProgInfo;
  progTestRun(
    fd: number,
    packet: Uint8Array,
    repeat: number,
    outSize: number,
    flags: number,
    ctx: Uint8Array | null,
  ): { retval: number; packet: Uint8Array; durationNs: number };
  xdpLinkCreate(progFd: number, ifindex: number, flags: number): number;
  xdpAttach(ifindex: number, progFd: number, flags: number, oldProgFd: number): void;
  xdpDetach(ifindex: number, flags: number): void;
  xdpQuery(ifindex: number): { progId: number; mode: number };
  close(fd: number): void;
  objPin(fd: number, path: string): void;
  objGet(path: string): number;
  ifIndex(name: string): number;
  possibleCpus(): number;
  // ring buffers (native/src/ringbuf.c)
  ringNew(mapFd: number): unknown;
  ringConsume(handle: unknown, limit: number): Uint8Array[];
  /** 1 when a record may be there, 0 on timeout or when the ring is freed meanwhile. */
  ringWait(handle: unknown, timeoutMs: number): Promise<number>;
  ringFree(handle: unknown): void;
  // kernel objects by id, links (native/src/ids.c)
  btfById(id: number): Uint8Array | undefined;
  mapNextId(id: number): number;
  mapFdById(id: number): number;
  progNextId(id: number): number;
  progFdById(id: number): number;
  /** tag: the kernel's hash of the instructions (map references zeroed), 16 hex digits. */
  progIdentity(fd: number): { id: number; type: number; name: string; tag: string; mapIds: number[] };
  linkNextId(id: number): number;
  linkFdById(id: number): number;
  linkInfo(fd: number): { id: number; type: number; progId: number; ifindex: number };
  linkUpdate(linkFd: number, progFd: number, oldProgFd: number): void;
  linkDetach(linkFd: number): void;
  // AF_XDP (native/src/umem.c, native/src/xsk.c)
  umemCreate(
    frames: number,
    frameSize: number,
    fillSize: number,
    compSize: number,
    headroom: number,
    external: boolean,
  ): { handle: unknown; buffer?: ArrayBuffer };
  umemRead(umem: unknown, addr: number, len: number): Uint8Array;
  umemWrite(umem: unknown, addr: number, bytes: Uint8Array): void;
  umemDelete(umem: unknown): void;
  socketCreate(umem: unknown, ifname: string, queue: number, rxSize: number, txSize: number, bindFlags: number): unknown;
  socketFd(socket: unknown): number;
  socketSetOption(socket: unknown, level: number, name: number, value: number): void;
  socketDelete(socket: unknown): void;
  socketStats(socket: unknown): {
    rxDropped: number;
    rxInvalidDescs: number;
    txInvalidDescs: number;
    rxRingFull: number;
    rxFillRingEmpty: number;
    txRingEmpty: number;
    txKicks: number;
  };
  fillSubmit(socket: unknown, addrs: Uint32Array, count: number): number;
  /** See native/src/xsk.c: releases held[0…releaseCount) to the fill ring (HELD_GONE entries skipped), then receives into held/descs, checking and moving each frame in owners. received + 65536 × released. */
  rxBatch(
    socket: unknown,
    owners: Uint8Array,
    fillPlace: number,
    receivedPlace: number,
    held: Uint32Array,
    releaseCount: number,
    descs: Uint32Array,
    viewKeys: Uint32Array,
    heldSlots: Uint32Array,
    max: number,
  ): number;
  /** See native/src/xsk.c: queues descs[0…count), kicks, reaps completions onto the fill ring or the free stack; counters in/out through io. Returns the number queued. */
  txBatch(
    socket: unknown,
    owners: Uint8Array,
    heldPlace: number,
    transmitPlace: number,
    fillPlace: number,
    held: Uint32Array,
    heldSlots: Uint32Array,
    freeStack: Uint32Array,
    io: Uint32Array,
    descs: Uint32Array,
    count: number,
  ): number;
  wakeupRx(socket: unknown): void;
  /** 1 when frames are waiting, 0 on timeout, waitEnd or close, -errno when the socket can no longer receive (interface gone). */
  waitReadable(socket: unknown, timeoutMs: number, coalesceUs: number): Promise<number>;
  /** The pending waitReadable resolves 0 now. */
  waitEnd(socket: unknown): void;
  // fds shared by every thread of the process (native/src/registry.c)
  sharedAcquire(key: string, create: () => number[]): number[];
  sharedRelease(key: string): number[];
}

/**
 * What BpfObject, BpfMap, BpfProgram and BpfRingBuf call: the addon for the kernel
 * backend, runtime/vm/kernel.ts for the VM backend.
 */
export type KernelCalls = Pick<
  NativeBpf,
  | "objectOpen"
  | "objectLoad"
  | "objectClose"
  | "objectPrograms"
  | "objectMaps"
  | "objectBtf"
  | "mapInitialValue"
  | "mapSetInitialValue"
  | "mapSetPinPath"
  | "mapInfo"
  | "mapNextKeyInto"
  | "mapOpen"
  | "mapClose"
  | "mapLookupInto"
  | "mapUpdateElem"
  | "mapDeleteElem"
  | "mapLookupMany"
  | "mapUpdateBatchFrom"
  | "mapDeleteMany"
  | "mapLookupBatchInto"
  | "possibleCpus"
  | "ringNew"
  | "ringConsume"
  | "ringWait"
  | "ringFree"
  | "progTestRun"
  | "progInfo"
  | "close"
  | "ifIndex"
  | "xdpLinkCreate"
  | "xdpAttach"
  | "xdpDetach"
  | "xdpQuery"
  | "objPin"
  | "objGet"
> & { readonly backend?: "vm" };

/** An open map handle (opaque). */
export interface NativeMapHandle {
  readonly __brand: "NativeMapHandle";
}

/** A loaded program as bpf_prog_info tells it (progInfo). */
export interface NativeProgInfo {
  id: number;
  xlatedInsns: number;
  jitedBytes: number;
  verifiedInsns: number;
  runTimeNs: number;
  runCount: number;
  name: string;
}

export interface NativeMapInfo {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  fd: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  internal?: boolean;
  /** The kernel's map id and BTF id (maps opened by fd). */
  id?: number;
  btfId?: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
let loaded: NativeBpf | undefined;

/** Set to 1 to refuse the addon (what a machine without it sees; the VM backend still works). */
export const NO_NATIVE_ENV = "TSXDP_NO_NATIVE";

/** The addon, loaded on first use. */
export function native(): NativeBpf {
  if (loaded) return loaded;
  if (process.env[NO_NATIVE_ENV] === "1") {
    throw Object.assign(
      new Error(
        `tsxdp's native addon is disabled (${NO_NATIVE_ENV}=1), so the kernel backend cannot load, attach or test-run programs; the VM backend works without it: BpfObject.open(file, { backend: "vm" }) or Skel.load({ backend: "vm" })`,
      ),
      { code: "ENOADDON" },
    );
  }
  const require = createRequire(import.meta.url);
  const candidates = [path.resolve(here, "../../build/Release/tsxdp_bpf.node"), path.resolve(here, "../build/Release/tsxdp_bpf.node")];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw Object.assign(
      new Error(
        'tsxdp\'s native addon is not built, so the kernel backend cannot load, attach or test-run programs: run `npm rebuild tsxdp` (it needs libbpf-dev, libxdp-dev and libelf-dev: apt-get install libbpf-dev libxdp-dev libelf-dev); the VM backend works without it ({ backend: "vm" })',
      ),
      { code: "ENOADDON" },
    );
  }
  try {
    loaded = require(file) as NativeBpf;
  } catch (error) {
    const message = (error as Error).message;
    const lib = /lib(bpf|xdp|elf)\.so/.exec(message)?.[0];
    throw Object.assign(
      new Error(
        lib
          ? `tsxdp's native addon cannot load ${lib}: install ${lib.startsWith("libxdp") ? "libxdp1" : lib.startsWith("libelf") ? "libelf1" : "libbpf1"}`
          : `tsxdp's native addon failed to load: ${message}`,
      ),
      { code: "ENOADDON", cause: error },
    );
  }
  return loaded;
}
