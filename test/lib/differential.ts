// Differential runs: one object on both backends (the kernel's BPF_PROG_TEST_RUN and the
// VM), the same map entries and packets, then verdicts, output bytes (metadata included),
// every map's contents, the globals and the ring records compared. Clock readings are the
// one thing that cannot be equal: a 64-bit value that differs counts as the same reading
// when the kernel's lies in the monotonic-clock window of its runs and the VM's in the VM
// clock's window. Per-CPU values compare exactly: the process is pinned to one CPU while
// it test-runs (pinToCpu) and the VM runs on that CPU with the same CPU count.
import { spawnSync } from "node:child_process";
import { BpfObject, BpfRingBuf, MapType, type RunResult } from "../../runtime/index.js";
import { native } from "../../runtime/native.js";
import type { VmOptions } from "../../runtime/vm/machine.js";
import { where } from "../../runtime/vm/machine.js";
import { type CasesFile, bytesOf, canonical, setCaseMaps } from "./cases.js";

export interface Window {
  low: bigint;
  high: bigint;
}

type Outcome = { result: RunResult } | { error: Error };

export interface RunComparison {
  kernel: Outcome;
  vm: Outcome;
  problems: string[];
}

/** Pins this process's main thread (the one that test-runs) to `cpu`; returns how to undo it. */
export function pinToCpu(cpu: number): () => void {
  const before = spawnSync("taskset", ["-p", String(process.pid)], { encoding: "utf8" }).stdout.match(/:\s*([0-9a-f]+)\s*$/)?.[1];
  const pinned = spawnSync("taskset", ["-p", "-c", String(cpu), String(process.pid)], { encoding: "utf8" });
  if (pinned.status !== 0) throw new Error(`taskset could not pin the test process to CPU ${cpu}: ${pinned.stderr}`);
  return () => {
    if (before) spawnSync("taskset", ["-p", before, String(process.pid)]);
  };
}

export function vmOptionsLikeKernel(cpu: number): VmOptions {
  return { cpus: native().possibleCpus(), cpu };
}

export class BackendPair {
  private kernelWindow: Window = { low: 0n, high: 0n };
  private vmWindow: Window = { low: 0n, high: 0n };
  private ran = false;

  private constructor(
    readonly kernel: BpfObject,
    readonly vm: BpfObject,
  ) {}

  static async open(object: string | Uint8Array, vm: VmOptions): Promise<BackendPair> {
    const kernel = await (await BpfObject.open(object)).load();
    try {
      return new BackendPair(kernel, await (await BpfObject.open(object, { backend: "vm", vm })).load());
    } catch (error) {
      kernel.close();
      throw error;
    }
  }

  close(): void {
    this.kernel.close();
    this.vm.close();
  }

  /** One packet through `program` on both backends; problems list what differs. */
  run(program: string, packet: Uint8Array): RunComparison {
    const machine = this.vm.vm!;
    const k0 = process.hrtime.bigint();
    const kernel = outcome(() => this.kernel.program(program).run(packet));
    const k1 = process.hrtime.bigint();
    const c0 = machine.clockNs;
    const vm = outcome(() => this.vm.program(program).run(packet));
    const c1 = machine.clockNs;
    if (!this.ran) {
      this.kernelWindow = { low: k0, high: k1 };
      this.vmWindow = { low: c0, high: c1 };
      this.ran = true;
    } else {
      this.kernelWindow.high = k1;
      this.vmWindow.high = c1;
    }
    const problems: string[] = [];
    if ("error" in kernel || "error" in vm) {
      if (!("error" in kernel && "error" in vm)) problems.push(`kernel ${describe(kernel)}, VM ${describe(vm)}`);
      else if ((kernel.error as { code?: string }).code !== (vm.error as { code?: string }).code)
        problems.push(`both failed, differently: kernel ${describe(kernel)}, VM ${describe(vm)}`);
      return { kernel, vm, problems };
    }
    if (kernel.result.action !== vm.result.action) problems.push(`verdict: kernel ${kernel.result.action}, VM ${vm.result.action}`);
    if (!this.sameBytes(kernel.result.packet, vm.result.packet))
      problems.push(`output bytes differ:\n  kernel ${hex(kernel.result.packet)}\n  VM     ${hex(vm.result.packet)}`);
    return { kernel, vm, problems };
  }

  /** Every map (ring records drained), every global: what differs between the backends. */
  compareState(): string[] {
    const problems: string[] = [];
    for (const [name, kernelMap] of Object.entries(this.kernel.maps)) {
      const vmMap = this.vm.anyMap(name);
      if (kernelMap instanceof BpfRingBuf) {
        const a = drainAll(kernelMap),
          b = drainAll(vmMap as BpfRingBuf);
        if (a.length !== b.length || a.some((r, i) => !this.sameBytes(r as Uint8Array, b[i] as Uint8Array))) {
          problems.push(
            `ring ${name}: kernel [${a.map((r) => hex(r as Uint8Array)).join(", ")}], VM [${b.map((r) => hex(r as Uint8Array)).join(", ")}]`,
          );
        }
        continue;
      }
      // Userspace cannot read an XskMap's sockets; a program array reads as program ids,
      // which differ between backends: its keys are compared.
      if (kernelMap.type === MapType.XSKMAP) continue;
      const keysOnly = kernelMap.type === MapType.PROG_ARRAY;
      const dump = (m: typeof kernelMap) =>
        new Map(
          keysOnly
            ? [...m.keys()].filter((k) => m.has(k)).map((k) => [canonical(k), [k, null]] as const)
            : [...m.entries()].map(([k, v]) => [canonical(k), [k, v]] as const),
        );
      const a = dump(kernelMap),
        b = dump(vmMap as typeof kernelMap);
      // LRU maps: the kernel's per-CPU free lists evict before the map is full and in
      // batches (docs/vm.md), so which entries are gone is not compared, only that the
      // entries both hold agree: a kernel without an entry is accepted, and a VM without
      // one once the VM's map is full (it evicts then).
      const lru = kernelMap.type === MapType.LRU_HASH || kernelMap.type === MapType.LRU_PERCPU_HASH;
      for (const [id, [key, value]] of a) {
        if (!b.has(id)) {
          if (!(lru && b.size >= kernelMap.maxEntries)) problems.push(`map ${name}[${id}]: kernel ${canonical(value)}, VM has no entry`);
        } else if (!this.sameValue(value, b.get(id)![1]))
          problems.push(`map ${name}[${id}]: kernel ${canonical(value)}, VM ${canonical(b.get(id)![1])}`);
        void key;
      }
      for (const [id, [, value]] of b)
        if (!a.has(id) && !lru) problems.push(`map ${name}[${id}]: VM ${canonical(value)}, kernel has no entry`);
    }
    for (const name of this.kernel.variableNames) {
      const a = this.kernel.variable(name).get(),
        b = this.vm.variable(name).get();
      if (!this.sameValue(a, b)) problems.push(`global ${name}: kernel ${canonical(a)}, VM ${canonical(b)}`);
    }
    return problems;
  }

  private isClockPair(kernel: bigint, vm: bigint): boolean {
    return (
      this.ran && kernel >= this.kernelWindow.low && kernel <= this.kernelWindow.high && vm >= this.vmWindow.low && vm <= this.vmWindow.high
    );
  }

  sameValue(kernel: unknown, vm: unknown): boolean {
    if (typeof kernel === "bigint" && typeof vm === "bigint") return kernel === vm || this.isClockPair(kernel, vm);
    if (kernel instanceof Uint8Array && vm instanceof Uint8Array) return this.sameBytes(kernel, vm);
    if (Array.isArray(kernel) && Array.isArray(vm)) return kernel.length === vm.length && kernel.every((x, i) => this.sameValue(x, vm[i]));
    if (kernel && vm && typeof kernel === "object" && typeof vm === "object") {
      const keys = Object.keys(kernel);
      return (
        keys.length === Object.keys(vm).length &&
        keys.every((k) => this.sameValue((kernel as Record<string, unknown>)[k], (vm as Record<string, unknown>)[k]))
      );
    }
    return canonical(kernel) === canonical(vm);
  }

  /** Bytes equal, or differing only in 8-byte-aligned words that are clock readings. */
  sameBytes(kernel: Uint8Array, vm: Uint8Array): boolean {
    if (kernel.length !== vm.length) return false;
    const a = new DataView(kernel.buffer, kernel.byteOffset, kernel.length),
      b = new DataView(vm.buffer, vm.byteOffset, vm.length);
    for (let i = 0; i < kernel.length; i++) {
      if (kernel[i] === vm[i]) continue;
      const word = i & ~7;
      if (word + 8 > kernel.length || !this.isClockPair(a.getBigUint64(word, true), b.getBigUint64(word, true))) return false;
      i = word + 7;
    }
    return true;
  }

  /** The VM's instruction trace of `packet` (runs it again: call after comparing state). */
  trace(program: string, packet: Uint8Array, limit = 80): string {
    const machine = this.vm.vm!;
    const vmProgram = machine.programsByFd.get(this.vm.program(program).fd)!;
    const { trace, error } = machine.traceRun(vmProgram, packet);
    const lines: string[] = [];
    let lastLine = "";
    for (const pc of trace.slice(-limit)) {
      const at = where(vmProgram, pc);
      const code = Buffer.from(vmProgram.spec.code.subarray(pc * 8, pc * 8 + 8)).toString("hex");
      const line = at.replace(/^instruction \d+ ?/, "");
      lines.push(`  ${String(pc).padStart(5)}: ${code}${line !== lastLine ? `  ${line}` : ""}`);
      lastLine = line;
    }
    return `VM instruction trace (${trace.length} executed${trace.length > limit ? `, last ${limit} shown` : ""})${error ? `, ended by: ${error.message}` : ""}:\n${lines.join("\n")}`;
  }
}

/** Every record a ring holds (drain() hands them out in batches). */
function drainAll(ring: BpfRingBuf): unknown[] {
  const out: unknown[] = [];
  for (let batch = ring.drain(); batch.length; batch = ring.drain()) out.push(...batch);
  return out;
}

function outcome(run: () => RunResult): Outcome {
  try {
    return { result: run() };
  } catch (error) {
    return { error: error as Error };
  }
}

function describe(o: Outcome): string {
  return "error" in o
    ? `failed (${(o.error as { code?: string }).code ?? "?"}: ${o.error.message})`
    : `returned ${o.result.action} with ${o.result.packet.length} bytes`;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** A report of one disagreement: the packet, both results, the VM's trace. */
export function report(
  title: string,
  packet: Uint8Array,
  comparison: RunComparison | undefined,
  problems: string[],
  trace: string,
): string {
  const side = (o: Outcome) =>
    "error" in o
      ? `error ${(o.error as { code?: string }).code}: ${o.error.message}`
      : `action ${o.result.action}, packet ${hex(o.result.packet)}`;
  return [
    `DISAGREEMENT ${title}`,
    `  packet (${packet.length} bytes): ${hex(packet)}`,
    comparison ? `  kernel: ${side(comparison.kernel)}\n  VM:     ${side(comparison.vm)}` : "",
    ...problems.map((p) => `  - ${p}`),
    trace,
  ]
    .filter(Boolean)
    .join("\n");
}

/** A seeded generator (LCG): the same seed gives the same packets. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** A mutation of a case packet: truncation, bit flips, byte stores, growth, a cut. At least 14 bytes. */
export function mutatePacket(packet: Uint8Array, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  let bytes = Uint8Array.from(packet);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    switch (int(6)) {
      case 0: // truncation
        bytes = bytes.subarray(0, 14 + int(Math.max(1, bytes.length - 13)));
        break;
      case 1: // bit flips
        for (let i = 1 + int(4); i > 0; i--) bytes[int(bytes.length)]! ^= 1 << int(8);
        break;
      case 2: {
        // a header byte set to an edge value
        const values = [0, 0xff, 0x45, 0x40, 0x06, 0x11, 0x01, 0x08, 0x86, 0xdd, 0x81];
        bytes[int(Math.min(bytes.length, 80))] = values[int(values.length)]!;
        break;
      }
      case 3: {
        // growth
        const grown = new Uint8Array(bytes.length + 1 + int(64));
        grown.set(bytes);
        for (let i = bytes.length; i < grown.length; i++) grown[i] = int(256);
        bytes = grown;
        break;
      }
      case 4: {
        // a cut from the middle
        if (bytes.length <= 16) break;
        const at = 14 + int(bytes.length - 14),
          length = 1 + int(Math.min(16, bytes.length - at));
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + length)]);
        if (bytes.length < 14) bytes = Uint8Array.from(packet.subarray(0, 14));
        break;
      }
      default: // random bytes
        for (let i = 1 + int(3); i > 0; i--) bytes[int(bytes.length)] = int(256);
    }
  }
  return Uint8Array.from(bytes.length > 3520 ? bytes.subarray(0, 3520) : bytes);
}

export interface FuzzResult {
  packets: number;
  disagreements: string[];
}

/**
 * Seeded mutations of a cases file's packets through its programs on both backends: each
 * case's maps are set, its packets and up to `perCase` mutations of them run on both, then
 * the state (maps, globals, rings) is compared. Stops at `deadline` (ms since the epoch),
 * sharing the time between the cases.
 */
export async function fuzzCases(
  object: string,
  cases: CasesFile,
  options: { seed: number; perCase: number; deadline: number; cpu?: number; maxReports?: number },
): Promise<FuzzResult> {
  const random = seededRandom(options.seed);
  const result: FuzzResult = { packets: 0, disagreements: [] };
  for (const [index, c] of cases.cases.entries()) {
    if (Date.now() > options.deadline || result.disagreements.length >= (options.maxReports ?? 3)) break;
    // Each case gets an equal share of the time left.
    const caseDeadline = Date.now() + (options.deadline - Date.now()) / (cases.cases.length - index);
    const pair = await BackendPair.open(object, vmOptionsLikeKernel(options.cpu ?? 0));
    try {
      setCaseMaps(pair.kernel, c);
      setCaseMaps(pair.vm, c);
      const program = c.program ?? cases.program;
      const bases = [...(c.before ?? []), c.packet].map(bytesOf);
      let last = bases[bases.length - 1]!;
      const packets = [...bases];
      for (let i = 0; i < options.perCase; i++) packets.push(mutatePacket(bases[Math.floor(random() * bases.length)]!, random));
      for (const packet of packets) {
        if (Date.now() > caseDeadline) break;
        result.packets++;
        last = packet;
        const comparison = pair.run(program, packet);
        if (comparison.problems.length) {
          result.disagreements.push(
            report(
              `${object} case "${c.name}" (seed ${options.seed})`,
              packet,
              comparison,
              comparison.problems,
              pair.trace(program, packet),
            ),
          );
          break;
        }
      }
      const state = pair.compareState();
      if (state.length)
        result.disagreements.push(
          report(
            `${object} case "${c.name}" (seed ${options.seed}): state after the packets`,
            last,
            undefined,
            state,
            pair.trace(program, last),
          ),
        );
    } finally {
      pair.close();
    }
  }
  return result;
}
