// The VM proper: the address space of one object (packet, context, stack, map values),
// its programs translated to JavaScript, and a test run with the kernel's XDP test-run
// shape (256 bytes of headroom in a 4096-byte frame, metadata before data, the output
// from data_meta to data_end). Faults become errors that name the program, the
// instruction and its .xdp.ts line.
import { BpfError } from "../errors.js";
import { Fib, type VmFibTable } from "./fib.js";
import { installHelpers, type RedirectTarget } from "./helpers.js";
import { VmFault } from "./fault.js";
import { ArrayVmMap, type VmMap } from "./maps.js";
import { REGION_BASE, Region, RegionKind, RegionTable } from "./memory.js";
import { Prandom } from "./random.js";
import type { LineInfo, VmProgramSpec } from "./spec.js";
import { MAX_CALL_FRAMES, STACK_FRAME, TranslateError, type TranslateInput, translate } from "./translate.js";

export interface VmOptions {
  /** Possible CPUs: per-CPU maps hold one value for each (default 1). */
  cpus?: number;
  /** The CPU programs run on: bpf_get_smp_processor_id and the per-CPU slot they use (default 0). */
  cpu?: number;
  /** What bpf_ktime_get_ns returns first (default 1 s). */
  clockNs?: bigint;
  /** How far the clock moves on each read (default 1000 ns); 0n: a stopped clock. */
  clockStepNs?: bigint;
  /** Seed of bpf_get_prandom_u32 (default 1). */
  seed?: number;
  /** The routing table bpf_fib_lookup consults (default: empty, every lookup NOT_FWDED). */
  fib?: VmFibTable;
  /** Executed instructions (counted at backward jumps) before a run is stopped as runaway (default 10 M). */
  instructionBudget?: number;
}

/** XDP_PACKET_HEADROOM, and the test-run frame: 4096 bytes minus skb_shared_info's 320. */
export const HEADROOM = 256;
const FRAME_SIZE = 4096;
const TAILROOM = 320;
export const MAX_PACKET = FRAME_SIZE - HEADROOM - TAILROOM;

const STACK_SIZE = STACK_FRAME * MAX_CALL_FRAMES;

export interface VmRunResult {
  retval: number;
  packet: Uint8Array;
  durationNs: number;
  redirect?: RedirectTarget;
  printk: string[];
  /** Executed instruction indexes (with { trace: true }), per program in order of tail calls. */
  trace?: { program: string; instructions: number[] }[];
}

export interface RunEnv {
  M: (Region | undefined)[];
  rh: number;
  helpers: ((...args: number[]) => number)[];
  tailTarget: VmProgram | undefined;
  slowLoad(pc: number, h: number, l: number, size: number, signed: boolean): number;
  slowStore(pc: number, h: number, l: number, size: number, vh: number, vl: number): void;
  atomic(pc: number, op: number, size: number, h: number, l: number, vh: number, vl: number, r0h: number, r0l: number): number;
  fault(pc: number, message: string): never;
  runaway(pc: number): never;
  trace?: (pc: number) => void;
}

/** A program translated for this machine. */
export class VmProgram {
  run!: (ctxH: number, ctxL: number, stackH: number, stackL: number, budget: number) => number;
  traced?: VmProgram["run"];
  constructor(
    readonly spec: VmProgramSpec,
    readonly fd: number,
    readonly instructions: number,
    readonly input: TranslateInput,
  ) {}

  /** The source line of instruction `pc` (the nearest line record at or before it). */
  lineOf(pc: number): LineInfo | undefined {
    let found: LineInfo | undefined;
    for (const l of this.spec.lines) {
      if (l.index > pc) break;
      found = l.info;
    }
    return found;
  }
}

export class Machine {
  readonly table = new RegionTable();
  readonly packet = new Region(new Uint8Array(FRAME_SIZE), RegionKind.memory, "packet");
  readonly ctx = new Region(new Uint8Array(0), RegionKind.ctx, "context (struct xdp_md)", true);
  readonly stack = new Region(new Uint8Array(STACK_SIZE), RegionKind.memory, "stack");
  /** Offset of `data` in the packet frame (packet.start is data_meta, packet.end data_end). */
  dataOffset = HEADROOM;
  ingressIfindex = 1;
  rxQueueIndex = 0;
  readonly cpus: number;
  cpu: number;
  /**
   * The VM clock as a number while it fits 2^53 ns (104 days; a BigInt per read costs more
   * than the rest of a small program), exact either way: clockNs reads and sets it as bigint.
   */
  private clock: number | bigint;
  private clockStep: number | bigint;
  readonly random: Prandom;
  fib: Fib;
  readonly budget: number;
  redirect: RedirectTarget | undefined;
  printk: string[] = [];
  current: VmProgram | undefined;
  /** Tail calls taken in this run. */
  tailCalls = 0;
  readonly env: RunEnv;
  /** The frame bytes a run may have changed: zeroed after it (the kernel's frame is fresh memory). */
  private dirtyLow = HEADROOM;
  private dirtyHigh = HEADROOM;

  constructor(
    readonly options: VmOptions,
    readonly programsByFd: Map<number, VmProgram>,
  ) {
    this.cpus = options.cpus ?? 1;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 4096)
      throw new RangeError("VM option cpus must be an integer from 1 to 4096");
    this.cpu = options.cpu ?? 0;
    if (!Number.isInteger(this.cpu) || this.cpu < 0 || this.cpu >= this.cpus)
      throw new RangeError(`VM option cpu must be an integer from 0 to ${this.cpus - 1} (cpus - 1)`);
    this.clock = 0;
    this.clockStep = 0;
    this.clockNs = options.clockNs ?? 1_000_000_000n;
    this.clockStepNs = options.clockStepNs ?? 1000n;
    this.random = new Prandom(options.seed ?? 1);
    this.fib = new Fib(options.fib);
    this.budget = options.instructionBudget ?? 10_000_000;
    this.table.add(this.ctx);
    this.table.add(this.stack);
    this.table.add(this.packet);
    const machine = this;
    this.env = {
      M: this.table.regions,
      rh: 0,
      helpers: [],
      tailTarget: undefined,
      slowLoad: (pc, h, l, size, signed) => machine.slowLoad(pc, h, l, size, signed),
      slowStore: (pc, h, l, size, vh, vl) => machine.slowStore(pc, h, l, size, vh, vl),
      atomic: (pc, op, size, h, l, vh, vl, r0h, r0l) => machine.atomic(pc, op, size, h, l, vh, vl, r0h, r0l),
      fault: (pc, message) => {
        throw new VmFault(pc, message);
      },
      runaway: (pc) => {
        throw new VmFault(
          pc,
          `ran more than ${machine.budget} instructions (the instruction budget; VM option instructionBudget): a loop that does not end`,
        );
      },
    };
    installHelpers(this);
  }

  get clockNs(): bigint {
    return BigInt(this.clock);
  }
  set clockNs(value: bigint) {
    if (typeof value !== "bigint" || value < 0n || value >= 1n << 64n) throw new RangeError("the VM clock (clockNs) is a u64 bigint");
    this.clock = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  get clockStepNs(): bigint {
    return BigInt(this.clockStep);
  }
  set clockStepNs(value: bigint) {
    if (typeof value !== "bigint" || value < 0n || value >= 1n << 32n)
      throw new RangeError("the VM clock step (clockStepNs) is a bigint from 0 to 2^32 - 1");
    this.clockStep = Number(value);
  }

  /** A clock reading (bpf_ktime_get_ns): low word returned, high word in env.rh; then the clock moves on. */
  readClock(): number {
    const now = this.clock;
    if (typeof now === "number") {
      const next = now + (this.clockStep as number);
      this.clock = next <= Number.MAX_SAFE_INTEGER ? next : BigInt(now) + BigInt(this.clockStep);
      this.env.rh = Math.floor(now / 4294967296) | 0;
      return now % 4294967296 | 0;
    }
    this.clock = BigInt.asUintN(64, now + BigInt(this.clockStep));
    this.env.rh = Number(now >> 32n) | 0;
    return Number(now & 0xffffffffn) | 0;
  }

  /** Translates a program; `maps` by spec index resolve its ld_imm64 map references. */
  compile(spec: VmProgramSpec, fd: number, maps: VmMap[]): VmProgram {
    const constants = new Map<number, { hi: number; lo: number }>();
    for (const [index, ref] of spec.mapReferences) {
      const map = maps[ref.map]!;
      if (ref.offset === undefined) constants.set(index, { hi: this.table.add(map.region), lo: REGION_BASE });
      else {
        if (!(map instanceof ArrayVmMap))
          throw new BpfError(
            `program '${spec.name}': instruction ${index} points into map '${map.name}', which is not global data`,
            "EINVAL",
          );
        constants.set(index, { hi: this.table.add(map.valueRegion(0)), lo: REGION_BASE + ref.offset });
      }
    }
    const helpers = new Set(Object.keys(this.env.helpers).map(Number));
    const input: TranslateInput = { name: spec.name, code: spec.code, calls: spec.calls, constants, helpers };
    let translation;
    try {
      translation = translate(input);
    } catch (error) {
      if (error instanceof TranslateError) {
        const program = new VmProgram(spec, fd, spec.code.length / 8, input);
        throw new BpfError(`The VM cannot load program '${spec.name}': ${where(program, error.index)}: ${error.message}`, "EINVAL", {
          cause: error,
        });
      }
      throw error;
    }
    const program = new VmProgram(spec, fd, translation.instructions, input);
    program.run = new Function("env", translation.source)(this.env);
    return program;
  }

  /** One test run of `program` on `input` (the kernel's BPF_PROG_TEST_RUN for XDP). */
  testRun(
    program: VmProgram,
    input: Uint8Array,
    context: { ingressIfindex?: number; rxQueueIndex?: number; metaSize?: number } = {},
    repeat = 1,
  ): VmRunResult {
    const metaSize = context.metaSize ?? 0;
    if (input.length - metaSize < 14)
      throw Object.assign(
        new Error(`test run: the packet must hold at least an Ethernet header (14 bytes) after ${metaSize} bytes of metadata`),
        { errno: 22 },
      );
    if (input.length - metaSize > MAX_PACKET)
      throw Object.assign(
        new Error(
          `test run: the VM runs packets of at most ${MAX_PACKET} bytes (one 4096-byte frame less headroom and tailroom, as the kernel's test run without fragments)`,
        ),
        { errno: 22 },
      );
    const frame = this.packet.bytes;
    frame.fill(0, this.dirtyLow, this.dirtyHigh);
    const start = HEADROOM - metaSize;
    frame.set(input, start);
    this.packet.start = start;
    this.dataOffset = HEADROOM;
    this.packet.end = this.packet.writeEnd = start + input.length;
    this.dirtyLow = start;
    this.dirtyHigh = this.packet.end;
    this.ingressIfindex = context.ingressIfindex ?? 1;
    this.rxQueueIndex = context.rxQueueIndex ?? 0;
    this.redirect = undefined;
    this.printk = [];
    // Like the kernel's test run, repeats run on the same frame: changes accumulate.
    const began = process.hrtime.bigint();
    let retval = 0;
    for (let i = 0; i < repeat; i++) retval = this.execute(program);
    const durationNs = Number(process.hrtime.bigint() - began) / repeat;
    const out = frame.slice(this.packet.start, this.packet.end);
    this.dirtyLow = Math.min(this.dirtyLow, this.packet.start);
    this.dirtyHigh = Math.max(this.dirtyHigh, this.packet.end);
    return { retval, packet: out, durationNs, redirect: this.redirect, printk: this.printk };
  }

  /** Notes a change of the packet's bounds (adjust helpers), for zeroing after the run. */
  touched(low: number, high: number): void {
    if (low < this.dirtyLow) this.dirtyLow = low;
    if (high > this.dirtyHigh) this.dirtyHigh = high;
  }

  private execute(first: VmProgram): number {
    const env = this.env;
    this.table.running = true;
    let program = first;
    try {
      for (this.tailCalls = 0; ; this.tailCalls++) {
        this.current = program;
        env.tailTarget = undefined;
        const result = program.run(this.ctx.id, REGION_BASE, this.stack.id, REGION_BASE + STACK_SIZE, this.budget);
        if (env.tailTarget === undefined) return result >>> 0;
        program = env.tailTarget;
      }
    } catch (error) {
      if (error instanceof VmFault) {
        throw new BpfError(
          `program '${this.current!.spec.name}' faulted in the VM at ${where(this.current!, error.pc)}: ${error.message}`,
          "EFAULT",
          { errno: 14 },
        );
      }
      throw error;
    } finally {
      this.table.running = false;
      this.table.settle();
      env.tailTarget = undefined;
    }
  }

  /** The region of the last memory() argument (helpers read it right after the call). */
  argument!: Region;

  /**
   * A pointer argument of a helper: the byte offset of `size` readable (or writable) bytes,
   * their region in `argument` (no object per call: helpers are on the hot path).
   */
  memory(pc: number, h: number, l: number, size: number, write: boolean, what: string): number {
    const region = this.table.regions[h];
    const offset = (l - REGION_BASE) | 0;
    if (!region || region.kind !== RegionKind.memory)
      throw new VmFault(pc, `${what} is not a pointer to memory (${describePointer(h, l, region)})`);
    if (offset < region.start || offset + size > (write ? region.writeEnd : region.end) || size < 0) {
      throw new VmFault(
        pc,
        `${what}: ${size} bytes at offset ${offset - region.start} of the ${region.what} are ${write && offset + size <= region.end ? "read-only" : `outside it (${region.end - region.start} bytes)`}`,
      );
    }
    this.argument = region;
    return offset;
  }

  private slowLoad(pc: number, h: number, l: number, size: number, signed: boolean): number {
    const region = this.table.regions[h];
    if (region?.kind === RegionKind.ctx) return this.loadContext(pc, (l - REGION_BASE) | 0, size);
    void signed;
    throw new VmFault(pc, `a load of ${size} bytes ${this.outOfBounds(h, l, size, region)}`);
  }

  private slowStore(pc: number, h: number, l: number, size: number, _vh: number, _vl: number): void {
    const region = this.table.regions[h];
    const offset = (l - REGION_BASE) | 0;
    if (region && region.kind === RegionKind.memory && offset >= region.start && offset + size <= region.end)
      throw new VmFault(pc, `a store of ${size} bytes into the read-only ${region.what}`);
    if (region?.kind === RegionKind.ctx) throw new VmFault(pc, "a store into the context (struct xdp_md is read-only)");
    throw new VmFault(pc, `a store of ${size} bytes ${this.outOfBounds(h, l, size, region)}`);
  }

  private outOfBounds(h: number, l: number, size: number, region: Region | undefined): string {
    const offset = (l - REGION_BASE) | 0;
    if (!region || region.kind === RegionKind.map)
      return `through a value that is not a pointer to memory (${describePointer(h, l, region)})`;
    if (region === this.packet) {
      const from = offset - this.dataOffset;
      return `at packet offset ${from}, outside the packet (data_meta ${this.packet.start - this.dataOffset}, data_end ${this.packet.end - this.dataOffset}): a missing bounds check against data_end`;
    }
    return `at offset ${offset - region.start} of the ${region.what}, outside its ${region.end - region.start} bytes`;
  }

  private loadContext(pc: number, offset: number, size: number): number {
    if (size !== 4 || offset & 3 || offset < 0 || offset > 20)
      throw new VmFault(pc, `a load of ${size} bytes at offset ${offset} of struct xdp_md (its fields are u32 at 0…20)`);
    this.env.rh = 0;
    switch (offset) {
      case 0:
        this.env.rh = this.packet.id;
        return REGION_BASE + this.dataOffset;
      case 4:
        this.env.rh = this.packet.id;
        return REGION_BASE + this.packet.end;
      case 8:
        this.env.rh = this.packet.id;
        return REGION_BASE + this.packet.start;
      case 12:
        return this.ingressIfindex | 0;
      case 16:
        return this.rxQueueIndex | 0;
      default:
        return 0; // egress_ifindex: only devmap programs have one
    }
  }

  private atomic(pc: number, op: number, size: number, h: number, l: number, vh: number, vl: number, r0h: number, r0l: number): number {
    const offset = this.memory(pc, h, l, size, true, "an atomic operation's address");
    const view = this.argument.view;
    const oldL = view.getInt32(offset, true);
    const oldH = size === 8 ? view.getInt32(offset + 4, true) : 0;
    let newL = oldL,
      newH = oldH;
    switch (op & ~1) {
      case 0x00: {
        const sum = (oldL >>> 0) + (vl >>> 0);
        newL = sum | 0;
        newH = (oldH + vh + (sum > 0xffffffff ? 1 : 0)) | 0;
        break;
      }
      case 0x40:
        newL = oldL | vl;
        newH = oldH | vh;
        break;
      case 0x50:
        newL = oldL & vl;
        newH = oldH & vh;
        break;
      case 0xa0:
        newL = oldL ^ vl;
        newH = oldH ^ vh;
        break;
      case 0xe0:
        newL = vl;
        newH = vh;
        break;
      case 0xf0:
        if (oldL === r0l && (size === 4 || oldH === r0h)) {
          newL = vl;
          newH = vh;
        }
        break;
    }
    view.setInt32(offset, newL, true);
    if (size === 8) view.setInt32(offset + 4, newH, true);
    this.env.rh = oldH;
    return oldL;
  }

  /** Runs `program` with an instruction trace (slow: only to explain a disagreement). */
  traceRun(
    program: VmProgram,
    input: Uint8Array,
    context: { ingressIfindex?: number; rxQueueIndex?: number } = {},
  ): { result?: VmRunResult; error?: Error; trace: number[] } {
    const trace: number[] = [];
    this.env.trace = (pc) => trace.push(pc);
    const saved = program.run;
    program.traced ??= new Function("env", translate({ ...program.input, trace: true }).source)(this.env) as VmProgram["run"];
    program.run = program.traced!;
    try {
      return { result: this.testRun(program, input, context), trace };
    } catch (error) {
      return { error: error as Error, trace };
    } finally {
      program.run = saved;
      this.env.trace = undefined;
    }
  }
}

function describePointer(h: number, l: number, region: Region | undefined): string {
  const value = (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
  if (region?.kind === RegionKind.map) return `a pointer to ${region.what}`;
  return `0x${value.toString(16)}`;
}

/** "instruction 42 (firewall.xdp.ts:17: `const ip = …`)" */
export function where(program: VmProgram, pc: number): string {
  const line = program.lineOf(pc);
  if (!line) return `instruction ${pc}`;
  const file = line.file.split("/").pop();
  return `instruction ${pc} (${file}:${line.line}: \`${line.text}\`)`;
}
