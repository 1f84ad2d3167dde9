// The BPF helpers the VM implements, by the kernel's helper id (enum bpf_func_id), with
// the kernel's argument checks and return values. Each takes the call's instruction index
// and r1…r5 as (hi, lo) pairs, returns r0's low word and leaves its high word in env.rh.
import { FIB_PARAMS_SIZE } from "./fib.js";
import { HashVmMap, RingBufVmMap, RingRecord, SlotVmMap, VmMap } from "./maps.js";
import { REGION_BASE, RegionKind } from "./memory.js";
import type { Machine } from "./machine.js";
import { MAX_TAIL_CALLS, VmFault, XDP_FRAME_SIZE } from "./fault.js";
import { MapType } from "../map.js";
import { formatPrintk } from "./printk.js";
import { cString } from "./elf.js";
import { BpfFuncId } from "../kernel.js";

/** Where XDP_REDIRECT sends the packet: bpf_redirect's ifindex, or a map slot. */
export interface RedirectTarget {
  /** bpf_redirect: the egress interface. DevMap/DevMapHash: the slot's ifindex. */
  ifindex?: number;
  /** bpf_redirect_map: the map's name and the key. */
  map?: string;
  key?: number;
  /** The map type: "devmap", "devmap_hash", "cpumap" (value: the CPU's queue size) or "xskmap" (value: the socket). */
  kind?: "devmap" | "devmap_hash" | "cpumap" | "xskmap";
  /** CpuMap: the target CPU (the key). */
  cpu?: number;
}

/** The helper ids the VM implements; the table is the kernel's (runtime/kernel.ts). */
export const HelperId = BpfFuncId;

const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
const ETH_HLEN = 14;
const EINVAL = 22;

type Helper = (
  pc: number,
  h1: number,
  l1: number,
  h2: number,
  l2: number,
  h3: number,
  l3: number,
  h4: number,
  l4: number,
  h5: number,
  l5: number,
) => number;

export function installHelpers(machine: Machine): void {
  const env = machine.env;
  const table = machine.table;
  const helpers: Helper[] = [];
  const ret = (lo: number, hi = lo < 0 ? -1 : 0): number => {
    env.rh = hi;
    return lo | 0;
  };
  const mapArg = (pc: number, h: number, name: string): VmMap => {
    const region = table.regions[h];
    if (region?.kind !== RegionKind.map) throw new VmFault(pc, `${name}: the map argument (r1) is not a map`);
    return region.owner as VmMap;
  };
  const pointerTo = (region: { id: number } | undefined, offset = 0): number => {
    if (!region) return ret(0, 0);
    env.rh = region.id;
    return REGION_BASE + offset;
  };
  const u64 = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  const checkContext = (pc: number, h: number, name: string) => {
    if (table.regions[h]?.kind !== RegionKind.ctx) throw new VmFault(pc, `${name}: r1 is not the program's context`);
  };

  // void *bpf_map_lookup_elem(map, key)
  helpers[HelperId.mapLookupElem] = (pc, h1, _l1, h2, l2) => {
    const map = mapArg(pc, h1, "bpf_map_lookup_elem");
    const offset = machine.memory(pc, h2, l2, map.spec.keySize, false, "bpf_map_lookup_elem's key (r2)");
    return pointerTo(map.lookup(machine.argument.bytes, offset, machine.cpu));
  };
  // long bpf_map_update_elem(map, key, value, flags)
  helpers[HelperId.mapUpdateElem] = (pc, h1, _l1, h2, l2, h3, l3, h4, l4) => {
    const map = mapArg(pc, h1, "bpf_map_update_elem");
    const keyOffset = machine.memory(pc, h2, l2, map.spec.keySize, false, "bpf_map_update_elem's key (r2)");
    const key = machine.argument;
    const valueOffset = machine.memory(pc, h3, l3, map.spec.valueSize, false, "bpf_map_update_elem's value (r3)");
    return ret(map.update(key.bytes, keyOffset, machine.argument.bytes, valueOffset, h4 !== 0 ? -1 : l4, machine.cpu));
  };
  // long bpf_map_delete_elem(map, key)
  helpers[HelperId.mapDeleteElem] = (pc, h1, _l1, h2, l2) => {
    const map = mapArg(pc, h1, "bpf_map_delete_elem");
    const offset = machine.memory(pc, h2, l2, map.spec.keySize, false, "bpf_map_delete_elem's key (r2)");
    return ret(map.delete(machine.argument.bytes, offset));
  };
  // void *bpf_map_lookup_percpu_elem(map, key, cpu)
  helpers[HelperId.mapLookupPercpuElem] = (pc, h1, _l1, h2, l2, _h3, l3) => {
    const map = mapArg(pc, h1, "bpf_map_lookup_percpu_elem");
    const offset = machine.memory(pc, h2, l2, map.spec.keySize, false, "bpf_map_lookup_percpu_elem's key (r2)");
    if (l3 >>> 0 >= machine.cpus) return ret(0, 0);
    return pointerTo(map.lookup(machine.argument.bytes, offset, l3 >>> 0));
  };
  const clock = () => machine.readClock();
  helpers[HelperId.ktimeGetNs] = clock;
  helpers[HelperId.ktimeGetBootNs] = clock;
  helpers[HelperId.ktimeGetCoarseNs] = clock;
  helpers[HelperId.getPrandomU32] = () => ret(machine.random.next() | 0, 0);
  helpers[HelperId.getSmpProcessorId] = () => ret(machine.cpu, 0);

  // long bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3)
  helpers[HelperId.tracePrintk] = (pc, h1, l1, _h2, l2, h3, l3, h4, l4, h5, l5) => {
    const offset = machine.memory(pc, h1, l1, l2, false, "bpf_trace_printk's format (r1)");
    const bytes = machine.argument.bytes.subarray(offset, offset + l2);
    if (bytes[bytes.length - 1] !== 0) return ret(-EINVAL);
    const format = cString(bytes, 0);
    const readString = (address: bigint): string => {
      const h = Number(address >> 32n) | 0;
      const l = Number(address & 0xffffffffn) | 0;
      const target = table.regions[h];
      if (!target || target.kind !== RegionKind.memory) return "(efault)";
      const at = (l - REGION_BASE) | 0;
      return at >= target.start && at < target.end ? cString(target.bytes.subarray(0, target.end), at) : "(efault)";
    };
    const line = formatPrintk(format, [u64(h3, l3), u64(h4, l4), u64(h5, l5)], readString);
    machine.printk.push(line);
    return ret(Buffer.byteLength(line));
  };

  // long bpf_tail_call(ctx, prog_array_map, index)
  helpers[HelperId.tailCall] = (pc, h1, _l1, h2, _l2, _h3, l3) => {
    checkContext(pc, h1, "bpf_tail_call");
    const map = mapArg(pc, h2, "bpf_tail_call");
    if (map.spec.type !== MapType.PROG_ARRAY || !(map instanceof SlotVmMap))
      throw new VmFault(pc, `bpf_tail_call: map '${map.name}' is not a program array`);
    const slot = map.slotAt(l3 >>> 0);
    if (!slot || machine.tailCalls >= MAX_TAIL_CALLS) return ret(-2); // -ENOENT: the caller continues
    const fd = new DataView(slot.buffer, slot.byteOffset, 4).getUint32(0, true);
    const target = machine.programsByFd.get(fd);
    if (!target) return ret(-2);
    env.tailTarget = target;
    return ret(0);
  };

  // long bpf_redirect(ifindex, flags)
  helpers[HelperId.redirect] = (_pc, _h1, l1, h2, l2) => {
    if (h2 !== 0 || l2 !== 0) return ret(XDP_ABORTED);
    machine.redirect = { ifindex: l1 >>> 0 };
    return ret(XDP_REDIRECT);
  };

  // long bpf_redirect_map(map, key, flags)
  helpers[HelperId.redirectMap] = (pc, h1, _l1, _h2, l2, h3, l3) => {
    const map = mapArg(pc, h1, "bpf_redirect_map");
    const actionMask = 3;
    const flagMask = map.spec.type === MapType.DEVMAP || map.spec.type === MapType.DEVMAP_HASH ? 0x18 : 0; // BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS
    if (h3 !== 0 || (l3 & ~(actionMask | flagMask)) !== 0) return ret(XDP_ABORTED);
    const key = l2 >>> 0;
    const keyBytes = new Uint8Array(4);
    new DataView(keyBytes.buffer).setUint32(0, key, true);
    let value: Uint8Array | undefined;
    if (map instanceof SlotVmMap) value = map.slotAt(key);
    else if (map instanceof HashVmMap && map.spec.type === MapType.DEVMAP_HASH) value = map.slotValue(keyBytes, 0);
    else throw new VmFault(pc, `bpf_redirect_map: map '${map.name}' is not a DevMap, DevMapHash, CpuMap or XskMap`);
    if (!value) return ret(l3 & actionMask);
    const u32 = value.length >= 4 ? new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true) : 0;
    const kind = (
      { [MapType.DEVMAP]: "devmap", [MapType.DEVMAP_HASH]: "devmap_hash", [MapType.CPUMAP]: "cpumap", [MapType.XSKMAP]: "xskmap" } as const
    )[map.spec.type as 14 | 25 | 16 | 17];
    machine.redirect =
      kind === "cpumap"
        ? { map: map.name, key, kind, cpu: key }
        : kind === "xskmap"
          ? { map: map.name, key, kind }
          : { map: map.name, key, kind, ifindex: u32 };
    return ret(XDP_REDIRECT);
  };

  // s64 bpf_csum_diff(from, from_size, to, to_size, seed)
  helpers[HelperId.csumDiff] = (pc, h1, l1, _h2, l2, h3, l3, _h4, l4, _h5, l5) => {
    const fromSize = l2 >>> 0,
      toSize = l4 >>> 0;
    if (((fromSize | toSize) & 3) !== 0 || fromSize + toSize > 512) return ret(-EINVAL);
    let sum = l5 >>> 0;
    if (fromSize) {
      const offset = machine.memory(pc, h1, l1, fromSize, false, "bpf_csum_diff's from (r1)");
      const view = machine.argument.view;
      for (let i = 0; i < fromSize; i += 4) sum += ~view.getUint32(offset + i, true) >>> 0;
    }
    if (toSize) {
      const offset = machine.memory(pc, h3, l3, toSize, false, "bpf_csum_diff's to (r3)");
      const view = machine.argument.view;
      for (let i = 0; i < toSize; i += 4) sum += view.getUint32(offset + i, true);
    }
    // csum_partial's 32-bit result: the one's-complement sum folded with end-around carry.
    while (sum > 0xffffffff) sum = (sum % 0x100000000) + Math.floor(sum / 0x100000000);
    return ret(sum | 0, 0);
  };

  const packet = machine.packet;
  // long bpf_xdp_adjust_head(ctx, delta)
  helpers[HelperId.xdpAdjustHead] = (pc, h1, _l1, _h2, l2) => {
    checkContext(pc, h1, "bpf_xdp_adjust_head");
    const metaLength = machine.dataOffset - packet.start;
    const data = machine.dataOffset + l2;
    if (data < XDP_FRAME_SIZE + metaLength || data > packet.end - ETH_HLEN) return ret(-EINVAL);
    if (metaLength) packet.bytes.copyWithin(packet.start + l2, packet.start, machine.dataOffset);
    packet.start += l2;
    machine.dataOffset = data;
    machine.touched(packet.start, packet.end);
    return ret(0);
  };
  // long bpf_xdp_adjust_meta(ctx, delta)
  helpers[HelperId.xdpAdjustMeta] = (pc, h1, _l1, _h2, l2) => {
    checkContext(pc, h1, "bpf_xdp_adjust_meta");
    const meta = packet.start + l2;
    const metaLength = machine.dataOffset - meta;
    if (meta < XDP_FRAME_SIZE || meta > machine.dataOffset) return ret(-EINVAL);
    if (metaLength > 32 || (metaLength & 3) !== 0) return ret(-13); // -EACCES
    packet.start = meta;
    machine.touched(packet.start, packet.end);
    return ret(0);
  };
  // long bpf_xdp_adjust_tail(ctx, delta)
  helpers[HelperId.xdpAdjustTail] = (pc, h1, _l1, _h2, l2) => {
    checkContext(pc, h1, "bpf_xdp_adjust_tail");
    const end = packet.end + l2;
    if (end > 4096 - 320) return ret(-EINVAL);
    if (end < machine.dataOffset + ETH_HLEN) return ret(-EINVAL);
    if (l2 > 0) packet.bytes.fill(0, packet.end, end);
    packet.end = packet.writeEnd = end;
    machine.touched(packet.start, end);
    return ret(0);
  };
  // u64 bpf_xdp_get_buff_len(ctx)
  helpers[HelperId.xdpGetBuffLen] = (pc, h1) => {
    checkContext(pc, h1, "bpf_xdp_get_buff_len");
    return ret(packet.end - machine.dataOffset, 0);
  };
  // long bpf_xdp_load_bytes(ctx, offset, buf, len) / bpf_xdp_store_bytes
  const packetBytes = (pc: number, h1: number, l2: number, h3: number, l3: number, l4: number, store: boolean): number => {
    checkContext(pc, h1, store ? "bpf_xdp_store_bytes" : "bpf_xdp_load_bytes");
    const offset = l2 >>> 0,
      length = l4 >>> 0;
    if (offset + length > packet.end - machine.dataOffset) return ret(-EINVAL);
    const bufferOffset = machine.memory(pc, h3, l3, length, !store, "the buffer (r3)");
    const buffer = machine.argument.bytes;
    const at = machine.dataOffset + offset;
    if (store) packet.bytes.set(buffer.subarray(bufferOffset, bufferOffset + length), at);
    else buffer.set(packet.bytes.subarray(at, at + length), bufferOffset);
    return ret(0);
  };
  helpers[HelperId.xdpLoadBytes] = (pc, h1, _l1, _h2, l2, h3, l3, _h4, l4) => packetBytes(pc, h1, l2, h3, l3, l4, false);
  helpers[HelperId.xdpStoreBytes] = (pc, h1, _l1, _h2, l2, h3, l3, _h4, l4) => packetBytes(pc, h1, l2, h3, l3, l4, true);

  // long bpf_fib_lookup(ctx, params, plen, flags)
  helpers[HelperId.fibLookup] = (pc, h1, _l1, h2, l2, _h3, l3, _h4, l4) => {
    checkContext(pc, h1, "bpf_fib_lookup");
    if (l3 >>> 0 !== FIB_PARAMS_SIZE) return ret(-EINVAL);
    const offset = machine.memory(pc, h2, l2, FIB_PARAMS_SIZE, true, "bpf_fib_lookup's params (r2)");
    return ret(machine.fib.lookup(machine.argument.view, offset, l4 >>> 0));
  };

  const ringArg = (pc: number, h: number, name: string): RingBufVmMap => {
    const map = mapArg(pc, h, name);
    if (!(map instanceof RingBufVmMap)) throw new VmFault(pc, `${name}: map '${map.name}' is not a ring buffer`);
    return map;
  };
  // long bpf_ringbuf_output(ringbuf, data, size, flags)
  helpers[HelperId.ringbufOutput] = (pc, h1, _l1, h2, l2, h3, l3, h4, l4) => {
    const ring = ringArg(pc, h1, "bpf_ringbuf_output");
    if (h4 !== 0 || (l4 & ~3) !== 0) return ret(-EINVAL);
    const size = h3 === 0 ? l3 >>> 0 : -1;
    const dataOffset = machine.memory(pc, h2, l2, size, false, "bpf_ringbuf_output's data (r2)");
    const data = machine.argument.bytes;
    const record = ring.reserve(size);
    if (!record) return ret(-11); // -EAGAIN
    record.region.bytes.set(data.subarray(dataOffset, dataOffset + size));
    ring.commit(record);
    return ret(0);
  };
  // void *bpf_ringbuf_reserve(ringbuf, size, flags)
  helpers[HelperId.ringbufReserve] = (pc, h1, _l1, h2, l2, h3, l3) => {
    const ring = ringArg(pc, h1, "bpf_ringbuf_reserve");
    if (h3 !== 0 || l3 !== 0 || h2 !== 0) return ret(0, 0);
    const record = ring.reserve(l2 >>> 0);
    if (!record) return ret(0, 0);
    return pointerTo({ id: table.add(record.region) });
  };
  const finish = (pc: number, h1: number, l1: number, name: string, state: "committed" | "discarded"): number => {
    const region = table.regions[h1];
    const record = region?.owner;
    if (!(record instanceof RingRecord) || l1 !== REGION_BASE || record.state !== "reserved")
      throw new VmFault(pc, `${name}: r1 is not a record reserved by bpf_ringbuf_reserve`);
    if (state === "committed") record.ring.commit(record);
    else record.state = state;
    return ret(0, 0);
  };
  helpers[HelperId.ringbufSubmit] = (pc, h1, l1) => finish(pc, h1, l1, "bpf_ringbuf_submit", "committed");
  helpers[HelperId.ringbufDiscard] = (pc, h1, l1) => finish(pc, h1, l1, "bpf_ringbuf_discard", "discarded");
  // u64 bpf_ringbuf_query(ringbuf, flags)
  helpers[HelperId.ringbufQuery] = (pc, h1, _l1, _h2, l2) => {
    const ring = ringArg(pc, h1, "bpf_ringbuf_query");
    if (l2 === 1) return ret(ring.available, 0); // BPF_RB_AVAIL_DATA
    if (l2 === 2) return ret(ring.spec.maxEntries, 0); // BPF_RB_RING_SIZE
    return ret(0, 0);
  };
  env.helpers = helpers as unknown as RunEnvHelpers;
}

type RunEnvHelpers = ((...args: number[]) => number)[];
