// Generated code against clang: for each acceptance program, the tsxdp build and its C twin
// (bench/c/NAME.c, clang -O2 -target bpf -mcpu=v3) are loaded into the kernel and compared:
// instructions after load (xlated), verifier-processed instructions, test-run ns/packet on a
// representative packet, and build wall time.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BpfMap, BpfObject, type Codec } from "../runtime/index.js";
import { build, type Layer } from "../test/lib/packets.js";
import { toValue } from "../test/lib/cases.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface ProgramRow {
  name: string;
  program: string;
  tsxdp: { xlated: number; verified: number; nsPerPacket: number; buildMs: number };
  clang: { xlated: number; verified: number; nsPerPacket: number; buildMs: number };
}

export const programs: { example: string; program: string }[] = [
  { example: "firewall", program: "firewall" },
  { example: "reflector", program: "reflector" },
  { example: "icmp-echo", program: "icmpEcho" },
  { example: "nat", program: "dnat" },
  { example: "conntrack", program: "conntrack" },
  { example: "parse-depth", program: "portFilter" },
  { example: "encap", program: "encap" },
  { example: "redirect", program: "router" },
];

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** clang-14's arguments for a C twin, as a libbpf user builds one (the reference of every build ratio). */
export function clangArgs(source: string, object: string): string[] {
  return ["-O2", "-g", "-target", "bpf", "-mcpu=v3", "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", object];
}

export function timed(command: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

type Seed = Record<string, [unknown, unknown][]>;
/** The codecs a BpfMap was built with (from the tsxdp object's BTF). */
interface MapCodecs {
  readonly keyCodec: Codec;
  readonly valueCodec: Codec;
}

/**
 * Loads both objects and seeds their maps with the same bytes: the entries are encoded once,
 * with the tsxdp object's codecs (from its BTF), and written raw into the C object's maps of
 * the same names. Decoding the case file against the C object's BTF gave different bytes
 * (`__be32` is a plain typedef there), so the C twin ran another path than the tsxdp program.
 */
async function measurePair(objects: [string, string], program: string, packet: Uint8Array, maps: Seed, repeat: number) {
  // The C twins do not log: the tsxdp objects load with logging off, so their log calls are
  // pruned by the verifier (npm run bench -- logs measures what a call costs).
  const [ts, c] = await Promise.all(objects.map(async (o) => (await BpfObject.open(o, { logLevel: "off" })).load()));
  try {
    for (const [name, entries] of Object.entries(maps)) {
      const codecs = ts!.map(name) as unknown as MapCodecs;
      using twin = BpfMap.fromFd(c!.map(name).fd, { keyCodec: codecs.keyCodec, valueCodec: codecs.valueCodec });
      for (const [k, v] of entries) {
        ts!.map(name).set(toValue(k as never), toValue(v as never) as never);
        twin.set(toValue(k as never), toValue(v as never));
      }
    }
    const pair = [ts!, c!].map((obj) => obj.program(program));
    // The kernel reports whole nanoseconds per run (its loop's time over `repeat`), too coarse
    // for 5-15 ns programs alone: the mean of 15 runs, the two programs interleaved so that
    // drift on a shared machine falls on both alike, resolves fractions.
    const samples: number[][] = [[], []];
    for (let round = 0; round < 15; round++) pair.forEach((p, i) => samples[i]!.push(p.run(packet, { repeat }).durationNs));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    return pair.map((p, i) => {
      const info = p.info();
      return {
        xlated: info.xlatedInsns,
        verified: info.verifiedInsns,
        nsPerPacket: mean(samples[i]!),
        action: p.run(packet, { repeat: 1 }).action,
      };
    });
  } finally {
    ts!.close();
    c!.close();
  }
}

/** The example's source and the first case of `program`: its packet and map entries. */
export function benchSample(example: string, program: string): { source: string; packet: Uint8Array; maps: Seed } {
  const source = path.join(root, "examples", example, `${example}.xdp.ts`);
  const cases = JSON.parse(fs.readFileSync(source.replace(/\.xdp\.ts$/, ".cases.json"), "utf8")) as {
    program: string;
    cases: { program?: string; packet: Layer[] | string; maps?: Seed }[];
  };
  const sample = cases.cases.find((c) => (c.program ?? cases.program) === program)!;
  const packet = typeof sample.packet === "string" ? Uint8Array.from(Buffer.from(sample.packet, "hex")) : build(sample.packet);
  return { source, packet, maps: sample.maps ?? {} };
}

export async function runProgramBench(repeat = 1_000_000): Promise<ProgramRow[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-bench-"));
  const rows: ProgramRow[] = [];
  for (const { example, program } of programs) {
    const { source, packet, maps } = benchSample(example, program);
    const tsxdpMs = median(
      [0, 1, 2].map(() => timed(process.execPath, [path.join(root, "bin/tsxdp.js"), "build", source, "-o", out, "--no-skeleton"])),
    );
    const cObject = path.join(out, `${example}.c.o`);
    const clangMs = median([0, 1, 2].map(() => timed("clang-14", clangArgs(path.join(root, "bench/c", `${example}.c`), cObject))));
    const [t, c] = await measurePair([path.join(out, `${example}.o`), cObject], program, packet, maps, repeat);
    if (t!.action !== c!.action)
      throw new Error(`${example}/${program}: the tsxdp program returned ${t!.action}, its C twin ${c!.action}: they are not equivalent`);
    rows.push({ name: example, program, tsxdp: { ...t, buildMs: tsxdpMs }, clang: { ...c, buildMs: clangMs } });
  }
  return rows;
}

export function formatProgramRows(rows: ProgramRow[]): string[] {
  const ratio = (a: number, b: number) => (b ? (a / b).toFixed(2) : "n/a");
  const lines = ["program              xlated insns (tsxdp/C = ratio)   verified insns (ratio)   ns/packet (ratio)       build ms (ratio)"];
  for (const r of rows) {
    lines.push(
      `${`${r.name}/${r.program}`.padEnd(20)} ${`${r.tsxdp.xlated}/${r.clang.xlated} = ${ratio(r.tsxdp.xlated, r.clang.xlated)}`.padEnd(32)} ${`${r.tsxdp.verified}/${r.clang.verified} = ${ratio(r.tsxdp.verified, r.clang.verified)}`.padEnd(24)} ${`${r.tsxdp.nsPerPacket.toFixed(1)}/${r.clang.nsPerPacket.toFixed(1)} = ${ratio(r.tsxdp.nsPerPacket, r.clang.nsPerPacket)}`.padEnd(23)} ${r.tsxdp.buildMs.toFixed(0)}/${r.clang.buildMs.toFixed(0)} = ${ratio(r.tsxdp.buildMs, r.clang.buildMs)}`,
    );
  }
  // Targets (issue 2): instructions ≤ 1.0× the C twin (stretch 0.95×), ns/packet ≤ 1.0×,
  // a cold `tsxdp build` ≤ 0.6 s.
  const verdict = (ok: boolean) => (ok ? "pass" : "FAIL");
  lines.push("", "targets: xlated ≤ 1.00× C (stretch ≤ 0.95×), ns/packet ≤ 1.00× C, cold build ≤ 600 ms");
  for (const r of rows) {
    const x = r.tsxdp.xlated / r.clang.xlated;
    const ns = Math.max(r.tsxdp.nsPerPacket, 1) / Math.max(r.clang.nsPerPacket, 1);
    lines.push(
      `${`${r.name}/${r.program}`.padEnd(22)} xlated ${x.toFixed(2)} ${verdict(x <= 1)}${x <= 0.95 ? " (stretch met)" : ""}`.padEnd(58) +
        `ns/packet ${ns.toFixed(2)} ${verdict(Number(ns.toFixed(2)) <= 1)}`.padEnd(24) +
        `build ${r.tsxdp.buildMs.toFixed(0)} ms ${verdict(r.tsxdp.buildMs <= 600)}`,
    );
  }
  const geo = (f: (r: ProgramRow) => number) => Math.exp(rows.reduce((acc, r) => acc + Math.log(f(r)), 0) / rows.length).toFixed(2);
  lines.push(
    `geometric mean of ratios: xlated ${geo((r) => r.tsxdp.xlated / r.clang.xlated)}, verified ${geo((r) => r.tsxdp.verified / r.clang.verified)}, ns/packet ${geo((r) => Math.max(r.tsxdp.nsPerPacket, 1) / Math.max(r.clang.nsPerPacket, 1))}`,
  );
  return lines;
}
