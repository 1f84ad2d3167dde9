// The runtime side of the tsxdp CLI: run a program over a pcap, attach, detach, dump maps.
// Each returns the lines to print; the CLI (compiler/cli.ts) owns argument parsing.
import fs from "node:fs";
import path from "node:path";
import { BpfObject, ensureBpffsDir } from "./object.js";
import { detachInterface, type AttachMode } from "./program.js";
import { readPcap, writePcap } from "./pcap.js";
import { XDP } from "./xdp.js";
import { native } from "./native.js";
import { Btf } from "./btf.js";
import { codecFor, decode } from "./codec.js";
import { BpfError, explain } from "./errors.js";
import { isPerCpu } from "./map.js";

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

/** Dumps maps pinned at a path (a pinned map, or a folder of them), decoded with their BTF. */
export function dumpPinnedMaps(target: string): string[] {
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
      let cursor: Uint8Array | null = null;
      for (let i = 0; i < info.maxEntries + 1; i++) {
        const key = native().mapNextKey(fd, cursor, info.keySize);
        if (!key) break;
        cursor = key;
        const value = native().mapLookup(fd, key, stride * cpus, 0);
        if (!value) continue;
        const decoded = perCpu ? Array.from({ length: cpus }, (_, c) => decode(valueCodec, value, c * stride)) : decode(valueCodec, value);
        lines.push(`  ${show(decode(keyCodec, key))} => ${show(decoded)}`);
      }
    } finally {
      native().close(fd);
    }
  }
  return lines;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString("hex") : x && typeof x === "object" && "0" in x && x.constructor?.name === "Uint8Array" ? Buffer.from(x as Uint8Array).toString("hex") : x));
}
