// The runtime side of the tsxdp CLI: run a program over a pcap, attach, detach, dump maps.
// Each returns the lines to print; main.ts owns argument parsing.
import fs from "node:fs";
import path from "node:path";
import { BpfObject, ensureBpffsDir } from "../runtime/object.js";
import { detachInterface, type AttachMode } from "../runtime/program.js";
import { readPcap, writePcap } from "../runtime/pcap.js";
import { XDP } from "../runtime/xdp.js";
import { native } from "../runtime/native.js";
import { Btf } from "../runtime/btf.js";
import { codecFor, decode } from "../runtime/codec.js";
import { BpfError, explain } from "../runtime/errors.js";
import { isPerCpu, MapType } from "../runtime/map.js";
import { entriesByFd } from "../runtime/map-fd.js";

export async function runPcap(options: { object: string; program?: string; pcapIn: string; pcapOut?: string; repeat?: number }): Promise<string[]> {
  await using obj = await (await BpfObject.open(options.object)).load();
  const names = Object.keys(obj.programs);
  const name = options.program ?? (names.length === 1 ? names[0]! : undefined);
  if (!name) throw new BpfError(`the object has several programs (${names.join(", ")}): choose one with --program`, "EINVAL");
  const program = obj.program(name);
  const packets = readPcap(options.pcapIn);
  const counts = new Map<string, number>();
  const out: { data: Uint8Array; timestampNs: bigint }[] = [];
  let totalNs = 0;
  for (const p of packets) {
    const r = program.run(p.data, { repeat: options.repeat ?? 1 });
    const verdict = XDP[r.action] ?? String(r.action);
    counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
    totalNs += r.durationNs;
    if (r.action === XDP.PASS || r.action === XDP.TX || r.action === XDP.REDIRECT) out.push({ data: r.packet, timestampNs: p.timestampNs });
  }
  if (options.pcapOut) writePcap(options.pcapOut, out);
  const lines = [`${packets.length} packets through '${name}':`];
  for (const [verdict, n] of [...counts].sort()) lines.push(`  ${verdict.padEnd(8)} ${n}`);
  if (packets.length) lines.push(`  ${(totalNs / packets.length).toFixed(0)} ns/packet on average`);
  if (options.pcapOut) lines.push(`${out.length} packets (PASS, TX, REDIRECT) written to ${options.pcapOut}`);
  return lines;
}

export async function attachObject(options: { object: string; program?: string; dev: string; mode?: AttachMode; pin?: string }): Promise<string[]> {
  const obj = await (await BpfObject.open(options.object, options.pin ? { pinMaps: path.join(options.pin, "maps") } : {})).load();
  const names = Object.keys(obj.programs);
  const name = options.program ?? (names.length === 1 ? names[0]! : undefined);
  if (!name) throw new BpfError(`the object has several programs (${names.join(", ")}): choose one with --program`, "EINVAL");
  const program = obj.program(name);
  if (options.pin) {
    // A pinned link keeps the program attached after this process exits.
    ensureBpffsDir(options.pin);
    const link = program.attach(options.dev, { mode: options.mode });
    link.pin(path.join(options.pin, "link"));
    return [`'${name}' attached to ${options.dev} (${link.kind}); pinned at ${options.pin}/link, maps in ${options.pin}/maps`, `detach: rm ${options.pin}/link (or tsxdp detach --dev ${options.dev} for netlink attachments)`];
  }
  // Without a pin, attach through netlink so the program stays after we exit.
  const link = program.attach(options.dev, { mode: options.mode, replace: true, via: "netlink" });
  return [`'${name}' attached to ${options.dev} (${link.kind}); detach with: tsxdp detach --dev ${options.dev}`];
}

export function detachDevice(options: { dev: string; mode?: AttachMode }): string[] {
  detachInterface(options.dev, options.mode);
  return [`detached the XDP program from ${options.dev}`];
}

/** A map type's name as bpftool prints it (hash, percpu_array, …). */
function mapTypeName(type: number): string {
  const entry = Object.entries(MapType).find(([, n]) => n === type);
  return entry ? entry[0].toLowerCase() : `type ${type}`;
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

interface LiveMap { id: number; fd: number; info: ReturnType<ReturnType<typeof native>["mapInfo"]> }

/** Every map loaded in the kernel, by id (the walk bpftool does); the caller closes the fds. */
function liveMaps(limit = 1 << 20): LiveMap[] {
  const maps: LiveMap[] = [];
  let id = 0;
  for (let i = 0; i < limit; i++) {
    try {
      id = native().mapNextId(id);
    } catch (error) {
      throw explain(error, "list the kernel's BPF maps");
    }
    if (id === 0) break;
    let fd: number;
    try {
      fd = native().mapFdById(id);
    } catch (error) {
      if ((error as { errno?: number }).errno === 2) continue; // freed since the walk saw it
      for (const m of maps) native().close(m.fd);
      throw explain(error, `open BPF map id ${id}`);
    }
    maps.push({ id, fd, info: native().mapInfo(fd) });
  }
  return maps;
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
  const live = liveMaps();
  try {
    for (const spec of specs) {
      const kernelName = spec.name.slice(0, kernelNameLength);
      const matches = live.filter((m) => m.info.name === kernelName && m.info.type === spec.type && m.info.keySize === spec.keySize && m.info.valueSize === spec.valueSize);
      const shape = `${mapTypeName(spec.type)}, ${spec.keySize}-byte keys, ${spec.valueSize}-byte values`;
      if (!matches.length) {
        lines.push(`${spec.name}: not in the kernel (no loaded map named '${kernelName}' that is a ${shape}); load the object first`);
        continue;
      }
      for (const m of matches) {
        lines.push(`${spec.name} (id ${m.id}, ${shape}, ${m.info.maxEntries} entries max):`);
        const map = obj.mapOverFd(spec.name, m.fd);
        if (!("entries" in map)) {
          lines.push("  (a ring buffer: its records are consumed, not dumped)");
          continue;
        }
        let n = 0;
        const limit = options.maxEntries ?? 10_000;
        for (const [key, value] of map.entries()) {
          if (n++ >= limit) {
            lines.push(`  … more entries (shown: ${limit})`);
            break;
          }
          lines.push(`  ${formatValue(key)} => ${formatValue(value)}`);
        }
        if (n === 0) lines.push("  (empty)");
      }
    }
  } finally {
    for (const m of live) native().close(m.fd);
  }
  return lines;
}

/** Dumps maps pinned at a path (a pinned map, or a folder of them), decoded with their BTF. */
export function dumpPinnedMaps(target: string): string[] {
  if (!fs.existsSync(target)) throw new BpfError(`maps: '${target}' does not exist (give an object file, a .xdp.ts file, or a map pinned on bpffs)`, "ENOENT");
  const files = fs.statSync(target).isDirectory() ? fs.readdirSync(target).map((f) => path.join(target, f)) : [target];
  const lines: string[] = [];
  for (const file of files) {
    let fd: number;
    try {
      fd = native().objGet(file);
    } catch (error) {
      throw explain(error, `open pinned map ${file}`);
    }
    try {
      const info = native().mapInfo(fd);
      let btf: Btf | undefined;
      if (info.btfId) btf = new Btf(native().btfById(info.btfId)!);
      const keyCodec = codecFor(btf, info.btfKeyTypeId, info.keySize);
      const perCpu = isPerCpu(info.type);
      const cpus = perCpu ? native().possibleCpus() : 1;
      const stride = perCpu ? Math.ceil(info.valueSize / 8) * 8 : info.valueSize;
      const valueCodec = codecFor(btf, info.btfValueTypeId, info.valueSize);
      lines.push(`${info.name} (${path.basename(file)}): type ${info.type}, ${info.maxEntries} entries max`);
      for (const [key, value] of entriesByFd(fd, info.maxEntries + 1)) {
        const decoded = perCpu ? Array.from({ length: cpus }, (_, c) => decode(valueCodec, value, c * stride)) : decode(valueCodec, value);
        lines.push(`  ${formatValue(decode(keyCodec, key))} => ${formatValue(decoded)}`);
      }
    } finally {
      native().close(fd);
    }
  }
  return lines;
}

/** Map keys and values as a reader expects them: 5n, { port: 53 }, [1, 2], bytes in hex. */
export function formatValue(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (v && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x)}`).join(", ")} }`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}
