// The VM backend behind the runtime's objects: the same calls the native addon offers
// (object open/load, map operations by fd and handle, ring buffers, test run), served by
// the VM instead of libbpf and the bpf() syscall. BpfObject, BpfMap, BpfProgram and
// BpfRingBuf keep all policy (codecs, errors, flags) for both backends; this class only
// emulates the kernel's side, so the two backends cannot drift in how they are used.
import type { KernelCalls, NativeMapInfo, NativeMapHandle, NativeProgInfo } from "../native.js";
import { MapType } from "../map.js";
import { Errno, errnoError } from "./errno.js";
import { Machine, type VmOptions, type VmProgram, type VmRunResult } from "./machine.js";
import { type VmMap, RingBufVmMap, createMap } from "./maps.js";
import { type VmObjectSpec, readObjectSpec } from "./spec.js";

interface VmObjectHandle {
  name: string;
  spec: VmObjectSpec;
  loaded: boolean;
  maps: VmMap[];
  mapFds: number[];
  programs: VmProgram[];
}

interface VmMapHandle {
  map: VmMap;
  keySize: number;
  valueSize: number;
}

const noKernel = (what: string) =>
  errnoError(
    Errno.EOPNOTSUPP,
    `${what} needs the kernel: the VM backend runs programs in this process and has no interfaces, links or bpffs (open the object without { backend: "vm" })`,
  );

export class VmKernel implements KernelCalls {
  readonly backend = "vm";
  readonly machine: Machine;
  private nextFd = 1000;
  private readonly maps = new Map<number, VmMap>();
  private readonly programs = new Map<number, VmProgram>();
  private readonly objects = new Set<VmObjectHandle>();

  constructor(readonly options: VmOptions = {}) {
    this.machine = new Machine(options, this.programs);
  }

  private object(handle: unknown): VmObjectHandle {
    const object = handle as VmObjectHandle;
    if (!this.objects.has(object)) throw errnoError(Errno.EBADF, "not an object of this VM");
    return object;
  }

  objectOpen(elf: Uint8Array, name: string): unknown {
    let spec: VmObjectSpec;
    try {
      spec = readObjectSpec(elf, name);
    } catch (error) {
      throw Object.assign(new Error((error as Error).message), { errno: Errno.EINVAL });
    }
    const handle: VmObjectHandle = { name, spec, loaded: false, maps: [], mapFds: spec.maps.map(() => -1), programs: [] };
    this.objects.add(handle);
    return handle;
  }

  objectLoad(handle: unknown): void {
    const object = this.object(handle);
    if (object.loaded) return;
    const maps = object.spec.maps.map((spec) => createMap(spec, this.machine.cpus, this.machine.table));
    const programFds = object.spec.programs.map(() => this.nextFd++);
    const programs = object.spec.programs.map((spec, i) => this.machine.compile(spec, programFds[i]!, maps));
    object.maps = maps;
    object.mapFds = maps.map((map) => {
      const fd = this.nextFd++;
      this.maps.set(fd, map);
      return fd;
    });
    object.programs = programs;
    for (const p of programs) this.programs.set(p.fd, p);
    object.loaded = true;
  }

  objectClose(handle: unknown): void {
    const object = this.object(handle);
    for (const fd of object.mapFds) this.maps.delete(fd);
    for (const p of object.programs) this.programs.delete(p.fd);
    this.objects.delete(object);
  }

  objectPrograms(handle: unknown): { name: string; section: string; fd: number }[] {
    const object = this.object(handle);
    return object.spec.programs.map((p, i) => ({ name: p.name, section: p.section, fd: object.loaded ? object.programs[i]!.fd : -1 }));
  }

  objectMaps(handle: unknown): NativeMapInfo[] {
    const object = this.object(handle);
    return object.spec.maps.map(({ initial: _initial, readOnly: _readOnly, ...info }, i) => ({ ...info, fd: object.mapFds[i]! }));
  }

  objectBtf(handle: unknown): Uint8Array | undefined {
    return this.object(handle).spec.btf;
  }

  private internalMap(handle: unknown, name: string) {
    const spec = this.object(handle).spec.maps.find((m) => m.name === name && m.internal);
    if (!spec) throw errnoError(Errno.ENOENT, `no global data map '${name}'`);
    return spec;
  }

  mapInitialValue(handle: unknown, name: string): Uint8Array {
    return Uint8Array.from(this.internalMap(handle, name).initial ?? []);
  }

  mapSetInitialValue(handle: unknown, name: string, bytes: Uint8Array): void {
    const spec = this.internalMap(handle, name);
    if (this.object(handle).loaded) throw errnoError(Errno.EBUSY, "the object is loaded");
    spec.initial = Uint8Array.from(bytes);
  }

  mapSetPinPath(): void {
    throw noKernel("pinning maps (pinMaps)");
  }

  private mapByFd(fd: number): VmMap {
    const map = this.maps.get(fd);
    if (!map) throw errnoError(Errno.EBADF, `fd ${fd} is not a map of the VM`);
    return map;
  }

  mapInfo(fd: number): NativeMapInfo & { id: number; btfId: number } {
    const { initial: _initial, readOnly: _readOnly, ...info } = this.mapByFd(fd).spec;
    return { ...info, fd, id: fd, btfId: 0 };
  }

  mapNextKeyInto(h: NativeMapHandle, key: Uint8Array | null, next: Uint8Array): boolean {
    const found = this.handle(h).map.nextKey(key);
    if (!found) return false;
    next.set(found);
    return true;
  }

  mapOpen(fd: number, keySize: number, valueSize: number): NativeMapHandle {
    const map = this.mapByFd(fd);
    if (keySize !== map.spec.keySize || valueSize !== map.userValueSize) {
      throw errnoError(
        Errno.EINVAL,
        `map '${map.name}': key and value sizes ${keySize}/${valueSize} do not match the map's ${map.spec.keySize}/${map.userValueSize}`,
      );
    }
    return { map, keySize, valueSize } satisfies VmMapHandle as unknown as NativeMapHandle;
  }

  mapClose(): void {}

  private handle(h: NativeMapHandle): VmMapHandle {
    return h as unknown as VmMapHandle;
  }

  mapLookupInto(h: NativeMapHandle, key: Uint8Array, value: Uint8Array): boolean {
    return this.handle(h).map.userLookup(key, value);
  }

  mapUpdateElem(h: NativeMapHandle, key: Uint8Array, value: Uint8Array, flags: number): void {
    this.handle(h).map.userUpdate(key, value, flags);
  }

  mapDeleteElem(h: NativeMapHandle, key: Uint8Array): boolean {
    return this.handle(h).map.userDelete(key);
  }

  mapLookupMany(h: NativeMapHandle, keys: Uint8Array, values: Uint8Array, found: Uint8Array, count: number): number {
    const { map, keySize, valueSize } = this.handle(h);
    let n = 0;
    for (let i = 0; i < count; i++) {
      const hit = map.userLookup(keys.subarray(i * keySize, (i + 1) * keySize), values.subarray(i * valueSize, (i + 1) * valueSize));
      found[i] = hit ? 1 : 0;
      if (hit) n++;
    }
    return n;
  }

  mapUpdateBatchFrom(h: NativeMapHandle, keys: Uint8Array, values: Uint8Array, start: number, count: number, flags: number): number {
    const { map, keySize, valueSize } = this.handle(h);
    for (let i = start; i < start + count; i++) {
      try {
        map.userUpdate(keys.subarray(i * keySize, (i + 1) * keySize), values.subarray(i * valueSize, (i + 1) * valueSize), flags);
      } catch (error) {
        throw Object.assign(error as Error, { done: i - start });
      }
    }
    return count;
  }

  mapDeleteMany(h: NativeMapHandle, keys: Uint8Array, count: number): number {
    const { map, keySize } = this.handle(h);
    let n = 0;
    for (let i = 0; i < count; i++) if (map.userDelete(keys.subarray(i * keySize, (i + 1) * keySize))) n++;
    return n;
  }

  /** BPF_MAP_LOOKUP_BATCH: the cursor is the position in the key walk (first 4 bytes). */
  mapLookupBatchInto(
    h: NativeMapHandle,
    inCursor: Uint8Array | null,
    outCursor: Uint8Array,
    keys: Uint8Array,
    values: Uint8Array,
    count: number,
  ): { count: number; done: boolean } {
    const { map, keySize, valueSize } = this.handle(h);
    const skip = inCursor ? new DataView(inCursor.buffer, inCursor.byteOffset, 4).getUint32(0, true) : 0;
    let key: Uint8Array | null = null;
    for (let i = 0; i <= skip; i++) {
      key = map.nextKey(key);
      if (!key) return { count: 0, done: true };
    }
    let n = 0;
    let position = skip;
    while (key && n < count) {
      if (map.userLookup(key, values.subarray(n * valueSize, (n + 1) * valueSize))) {
        keys.set(key, n * keySize);
        n++;
      }
      position++;
      key = map.nextKey(key);
    }
    new DataView(outCursor.buffer, outCursor.byteOffset, 4).setUint32(0, position, true);
    return { count: n, done: key === null };
  }

  possibleCpus(): number {
    return this.machine.cpus;
  }

  ringNew(mapFd: number): unknown {
    const map = this.mapByFd(mapFd);
    if (!(map instanceof RingBufVmMap) || map.spec.type !== MapType.RINGBUF)
      throw errnoError(Errno.EINVAL, `map '${map.name}' is not a ring buffer`);
    return map;
  }

  ringConsume(handle: unknown, limit: number): Uint8Array[] {
    return (handle as RingBufVmMap).consume(limit);
  }

  /** 1 when a record was committed meanwhile, 0 on timeout. */
  async ringWait(handle: unknown, timeoutMs: number): Promise<number> {
    return (await (handle as RingBufVmMap).wait(timeoutMs)) ? 1 : 0;
  }

  ringFree(): void {}

  private programByFd(fd: number): VmProgram {
    const program = this.programs.get(fd);
    if (!program) throw errnoError(Errno.EBADF, `fd ${fd} is not a program of the VM`);
    return program;
  }

  progTestRun(fd: number, packet: Uint8Array, repeat: number, _outSize: number, flags: number, ctx: Uint8Array | null): VmRunResult {
    const program = this.programByFd(fd);
    if (flags !== 0) throw errnoError(Errno.EINVAL, "the VM test-runs without flags (live frames need the kernel)");
    let context: { ingressIfindex?: number; rxQueueIndex?: number; metaSize?: number } = {};
    if (ctx) {
      if (ctx.length < 24) throw errnoError(Errno.EINVAL, "ctx must be a struct xdp_md (24 bytes)");
      const view = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
      const metaSize = view.getUint32(0, true);
      if (
        view.getUint32(8, true) !== 0 ||
        view.getUint32(20, true) !== 0 ||
        view.getUint32(4, true) !== packet.length ||
        metaSize > packet.length ||
        metaSize > 32 ||
        metaSize & 3
      ) {
        throw errnoError(
          Errno.EINVAL,
          "ctx: data_meta and egress_ifindex must be 0, data_end the packet's length, data (the metadata size) a multiple of 4 up to 32",
        );
      }
      context = { metaSize, ingressIfindex: view.getUint32(12, true) || 1, rxQueueIndex: view.getUint32(16, true) };
    }
    return this.machine.testRun(program, packet, context, repeat);
  }

  progInfo(fd: number): NativeProgInfo {
    const program = this.programByFd(fd);
    return {
      id: fd,
      xlatedInsns: program.instructions,
      jitedBytes: 0,
      verifiedInsns: 0,
      runTimeNs: 0,
      runCount: 0,
      name: program.spec.name,
    };
  }

  close(): void {}

  ifIndex(name: string): number {
    throw errnoError(Errno.ENODEV, `interface '${name}': the VM backend has no interfaces; give ingressIfindex as a number`);
  }
  xdpLinkCreate(): number {
    throw noKernel("attaching a program");
  }
  xdpAttach(): void {
    throw noKernel("attaching a program");
  }
  xdpDetach(): void {
    throw noKernel("detaching a program");
  }
  xdpQuery(): { progId: number; mode: number } {
    throw noKernel("querying an interface");
  }
  objPin(): void {
    throw noKernel("pinning");
  }
  objGet(): number {
    throw noKernel("opening a pin");
  }
}
