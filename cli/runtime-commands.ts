// The runtime side of the tsxdp CLI: run a program over a pcap, attach, detach, dump maps.
// Each returns the lines to print; main.ts owns argument parsing.
import fs from "node:fs";
import path from "node:path";
import {
  BpfError,
  BpfMap,
  BpfObject,
  BpfPerCpuMap,
  MapType,
  XDP,
  detachInterface,
  ensureBpffsDir,
  formatLogLine,
  formatTyped,
  openPin,
  packets,
  type AttachMode,
  type LogLevel,
} from "../runtime/index.js";

const { readPcap, writePcap } = packets;

export async function runPcap(options: {
  object: string;
  program?: string;
  pcapIn: string;
  pcapOut?: string;
  repeat?: number;
  logLevel?: LogLevel | "off";
  backend?: "kernel" | "vm";
}): Promise<string[]> {
  await using obj = await (
    await BpfObject.open(options.object, { logLevel: options.logLevel, backend: options.backend ?? "kernel" })
  ).load();
  const names = Object.keys(obj.programs);
  const name = options.program ?? (names.length === 1 ? names[0]! : undefined);
  if (!name) throw new BpfError(`the object has several programs (${names.join(", ")}): choose one with --program`, "EINVAL");
  const program = obj.program(name);
  const packets = readPcap(options.pcapIn);
  const counts = new Map<string, number>();
  const out: { data: Uint8Array; timestampNs: bigint }[] = [];
  let totalNs = 0;
  const lines: string[] = [];
  for (const [i, p] of packets.entries()) {
    const r = program.run(p.data, { repeat: options.repeat ?? 1 });
    const verdict = XDP[r.action] ?? String(r.action);
    // What the program logged for this packet (with --repeat, every repetition's lines).
    for (const line of obj.logs.drain()) lines.push(`#${i + 1} ${verdict}: ${formatLogLine(line)}`);
    counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
    totalNs += r.durationNs;
    if (r.action === XDP.PASS || r.action === XDP.TX || r.action === XDP.REDIRECT) out.push({ data: r.packet, timestampNs: p.timestampNs });
  }
  if (options.pcapOut) writePcap(options.pcapOut, out);
  lines.push(`${packets.length} packets through '${name}'${obj.backend === "vm" ? " (VM)" : ""}:`);
  for (const [verdict, n] of [...counts].sort()) lines.push(`  ${verdict.padEnd(8)} ${n}`);
  if (packets.length) lines.push(`  ${(totalNs / packets.length).toFixed(0)} ns/packet on average`);
  if (options.pcapOut) lines.push(`${out.length} packets (PASS, TX, REDIRECT) written to ${options.pcapOut}`);
  return lines;
}

export interface AttachCommand {
  object: string;
  program?: string;
  dev: string;
  mode?: AttachMode;
  /** A bpffs folder for the deployment: maps in DIR/maps (shared by every program attached with it), a link per interface in DIR/links. */
  pin?: string;
  /** Take over the interface's XDP hook from whatever holds it (asked for, never by default). */
  replace?: boolean;
}

/** Where `tsxdp attach --pin DIR` pins the link of interface `dev`: one per interface, so programs of one object share DIR. */
export function linkPinPath(dir: string, dev: string): string {
  return path.join(dir, "links", dev);
}

export async function attachObject(options: AttachCommand): Promise<string[]> {
  // Checked before anything is loaded: a folder another user controls is refused.
  if (options.pin) {
    ensureBpffsDir(options.pin);
    ensureBpffsDir(path.join(options.pin, "links"));
  }
  await using obj = await (await BpfObject.open(options.object, options.pin ? { pinMaps: path.join(options.pin, "maps") } : {})).load();
  const names = Object.keys(obj.programs);
  const name = options.program ?? (names.length === 1 ? names[0]! : undefined);
  if (!name) throw new BpfError(`the object has several programs (${names.join(", ")}): choose one with --program`, "EINVAL");
  const program = obj.program(name);
  if (options.pin) {
    // A pinned link keeps the program attached after this process exits.
    const pin = linkPinPath(options.pin, options.dev);
    const link = program.attach(options.dev, { mode: options.mode, replace: options.replace });
    // The interface was free (or --replace took it over): a pin left there is a link that no
    // longer holds the interface, or the one just replaced; this deployment's own folder.
    fs.rmSync(pin, { force: true });
    link.pin(pin);
    return [
      `'${name}' attached to ${options.dev} (${link.kind}); link pinned at ${pin}, maps in ${path.join(options.pin, "maps")}`,
      `detach: rm ${pin} (or tsxdp detach --dev ${options.dev})`,
    ];
  }
  // Without a pin, attach through netlink so the program stays after we exit.
  const link = program.attach(options.dev, { mode: options.mode, replace: options.replace, via: "netlink" });
  const lines = [`'${name}' attached to ${options.dev} (${link.kind}); detach with: tsxdp detach --dev ${options.dev}`];
  if (link.kind === "link")
    lines.push(
      `note: it replaced the program of a BPF link held elsewhere (a pin or a process): it stays attached only while that holder keeps the link`,
    );
  return lines;
}

export function detachDevice(options: { dev: string; mode?: AttachMode }): string[] {
  const detached = detachInterface(options.dev, options.mode);
  return [
    `detached the XDP program (id ${detached.progId}, ${detached.modes.join(" and ")} mode, held by ${detached.holder === "link" ? "a BPF link" : "netlink"}) from ${options.dev}`,
  ];
}

/** enum bpf_map_type, as bpftool names the types. */
const mapTypeNames = [
  "unspec",
  "hash",
  "array",
  "prog_array",
  "perf_event_array",
  "percpu_hash",
  "percpu_array",
  "stack_trace",
  "cgroup_array",
  "lru_hash",
  "lru_percpu_hash",
  "lpm_trie",
  "array_of_maps",
  "hash_of_maps",
  "devmap",
  "sockmap",
  "cpumap",
  "xskmap",
  "sockhash",
  "cgroup_storage",
  "reuseport_sockarray",
  "percpu_cgroup_storage",
  "queue",
  "stack",
  "sk_storage",
  "devmap_hash",
  "struct_ops",
  "ringbuf",
  "inode_storage",
  "task_storage",
  "bloom_filter",
  "user_ringbuf",
  "cgrp_storage",
  "arena",
];

/** A map type's name as bpftool prints it (hash, percpu_array, …). */
export function mapTypeName(type: number): string {
  return mapTypeNames[type] ?? `map type ${type}`;
}

/** The kernel keeps map names up to BPF_OBJ_NAME_LEN - 1 = 15 characters. */
const kernelNameLength = 15;

/** Whether `target` is an ELF object (or a .xdp.ts source) rather than a bpffs pin. */
export function isObjectTarget(target: string): boolean {
  if (/\.(o|ts)$/.test(target)) return true;
  try {
    if (!fs.statSync(target).isFile()) return false;
    const fd = fs.openSync(target, "r");
    try {
      const magic = Buffer.alloc(4);
      fs.readSync(fd, magic, 0, 4, 0);
      return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * Dumps the live kernel maps of an ELF object: each map the object declares is looked up
 * among the loaded maps by its (15-character) kernel name, type, key and value size, like
 * `bpftool map dump name X`, and decoded with the object's BTF. Several loaded instances
 * are each listed; a map that is not in the kernel is said so.
 */
export async function dumpObjectMaps(objectFile: string, options: { maxEntries?: number } = {}): Promise<string[]> {
  await using obj = await BpfObject.open(objectFile);
  const specs = obj.mapSpecs.filter((m) => !m.internal);
  const lines: string[] = [];
  if (!specs.length) return [`${objectFile} declares no maps`];
  const live = BpfMap.loaded();
  try {
    for (const spec of specs) {
      const kernelName = spec.name.slice(0, kernelNameLength);
      const matches = live.filter(
        (m) => m.name === kernelName && m.type === spec.type && m.keySize === spec.keySize && m.valueSize === spec.valueSize,
      );
      const shape = `${mapTypeName(spec.type)}, ${spec.keySize}-byte keys, ${spec.valueSize}-byte values`;
      if (!matches.length) {
        lines.push(`${spec.name}: not in the kernel (no loaded map named '${kernelName}' that is a ${shape}); load the object first`);
        continue;
      }
      for (const m of matches) {
        lines.push(`${spec.name} (id ${m.id}, ${shape}, ${m.maxEntries} entries max):`);
        const map = obj.mapOverFd(spec.name, m.fd);
        if (!("entries" in map)) {
          lines.push("  (a ring buffer: its records are consumed, not dumped)");
          continue;
        }
        let n = 0;
        const limit = options.maxEntries ?? 1000;
        const show = typedFormatter(m, map instanceof BpfPerCpuMap);
        for (const [key, value] of map.entries()) {
          if (n++ >= limit) {
            lines.push(`  … more entries (shown: ${limit})`);
            break;
          }
          lines.push(`  ${show.key(key)} => ${show.value(value)}`);
        }
        if (n === 0) lines.push("  (empty)");
      }
    }
  } finally {
    for (const m of live) m.close();
  }
  return lines;
}

/** Map types whose entries cannot be walked by key: what they hold instead. */
const unlistedMapTypes: Record<number, string> = {
  [MapType.PERF_EVENT_ARRAY]: "a perf event array: it holds perf event descriptors per CPU",
  [MapType.QUEUE]: "a queue: its entries are read by popping them, so they are not listed",
  [MapType.STACK]: "a stack: its entries are read by popping them, so they are not listed",
  [MapType.RINGBUF]: "a ring buffer: its records are consumed, not listed (for await over it in Node)",
  [MapType.BLOOM_FILTER]: "a bloom filter: it answers membership questions, its entries cannot be listed",
  [MapType.USER_RINGBUF]: "a user ring buffer: written from user space, not listed",
};

/** Pins under a folder, depth first in name order (attach --pin makes DIR/maps and DIR/links). */
function pinsUnder(target: string, depth = 0): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  if (depth > 8) return [];
  return fs
    .readdirSync(target)
    .sort()
    .flatMap((entry) => pinsUnder(path.join(target, entry), depth + 1));
}

export interface DumpLimits {
  /** Entries listed per map (default 1000); the rest are counted. */
  maxEntries?: number;
}

/**
 * Dumps maps pinned at a path (a pinned map, or a folder of pins such as `attach --pin`'s),
 * decoded with their BTF. Other pins (programs, links) are named and skipped; map types
 * without keys to walk say what they hold. Output is bounded: `maxEntries` per map, and long
 * values are cut (formatValue).
 */
export function dumpPinnedMaps(target: string, limits: DumpLimits = {}): string[] {
  if (!fs.existsSync(target))
    throw new BpfError(`maps: '${target}' does not exist (give an object file, a .xdp.ts file, or a map pinned on bpffs)`, "ENOENT");
  const limit = limits.maxEntries ?? 1000;
  const base = fs.statSync(target).isDirectory() ? target : path.dirname(target);
  const lines: string[] = [];
  for (const file of pinsUnder(target)) {
    const shown = path.relative(base, file) || path.basename(file);
    const pin = openPin(file);
    if (pin.kind === "program") {
      lines.push(`${shown}: a pinned program ('${pin.name}', id ${pin.id}), not a map`);
    } else if (pin.kind === "link") {
      lines.push(
        `${shown}: a pinned BPF link (id ${pin.id}, program id ${pin.progId}${pin.ifindex ? `, XDP on ifindex ${pin.ifindex}` : pin.progId ? "" : ", detached"}), not a map`,
      );
    } else if (pin.kind !== "map") {
      lines.push(`${shown}: not a map pin`);
    } else {
      using map = pin.map;
      lines.push(...dumpMap(map, shown, limit));
    }
  }
  return lines;
}

/** The lines of one pinned map: a header, then up to `limit` entries. */
function dumpMap(map: BpfMap, shown: string, limit: number): string[] {
  const lines = [
    `${map.name} (${shown}): ${mapTypeName(map.type)}, ${map.keySize}-byte keys, ${map.valueSize}-byte values, ${map.maxEntries} entries max`,
  ];
  const unlisted = unlistedMapTypes[map.type];
  if (unlisted) return [...lines, `  (${unlisted})`];
  const show = typedFormatter(map, map instanceof BpfPerCpuMap);
  let listed = 0;
  let more = 0;
  try {
    for (const [key, value] of map.entries()) {
      if (listed === limit) break;
      lines.push(`  ${show.key(key)} => ${show.value(value)}`);
      listed++;
    }
    // The rest are counted by key alone: their values (up to megabytes each) are not read.
    if (listed === limit) more = map.size - limit;
  } catch (error) {
    lines.push(`  (cannot list its entries: ${(error as Error).message})`);
  }
  if (more) lines.push(`  … ${more} more entries (shown: ${limit})`);
  if (listed === 0 && more === 0 && lines.length === 1) lines.push("  (empty)");
  return lines;
}

/**
 * Keys and values of a kernel map shown by their BTF (the map's own, from the kernel):
 * enum members by name, declared addresses as addresses; per-CPU values one per CPU.
 */
function typedFormatter(map: BpfMap, perCpu: boolean): { key: (k: unknown) => string; value: (v: unknown) => string } {
  const { btf, keyTypeId, valueTypeId } = map.kernelTypes();
  const one = (id: number) => (v: unknown) => formatTyped(btf, id, v, formatValue);
  const value = one(valueTypeId);
  return {
    key: one(keyTypeId),
    value: perCpu ? (v) => (Array.isArray(v) ? `[${v.map(value).join(", ")}]` : value(v)) : value,
  };
}

/** Bytes and array elements formatValue shows of one value before cutting it short. */
const shownBytes = 64;
const shownElements = 32;

/** Map keys and values as a reader expects them: 5n, { port: 53 }, [1, 2], bytes in hex. */
export function formatValue(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  // A map value can be a megabyte: show its start and its size, not megabytes of text.
  if (v instanceof Uint8Array)
    return v.length > shownBytes
      ? `${Buffer.from(v.subarray(0, shownBytes)).toString("hex")}… (${v.length} bytes)`
      : Buffer.from(v).toString("hex");
  if (Array.isArray(v))
    return v.length > shownElements
      ? `[${v.slice(0, shownElements).map(formatValue).join(", ")}, … ${v.length - shownElements} more]`
      : `[${v.map(formatValue).join(", ")}]`;
  if (v && typeof v === "object")
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${formatValue(x)}`)
      .join(", ")} }`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}
