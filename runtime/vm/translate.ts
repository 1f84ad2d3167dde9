// Translation of BPF instructions into one JavaScript function per program, the VM's fast
// path. Registers become pairs of int32 locals (h = high word, l = low word, both always
// normalised with |0): V8 keeps them unboxed, where BigInt registers would allocate on
// every operation. Control flow is a `for (;;) switch (pc)` with a case at every jump
// target, so straight-line code runs without dispatch. Memory accesses check the region
// of the pointer inline (memory.ts) and leave the fast path only for the context, faults
// and writes to read-only memory. Rare 64-bit operations (multiply, divide, shifts by a
// register, atomics) call small functions of the prelude.
import { REGION_BASE } from "./memory.js";

export interface TranslateInput {
  name: string;
  code: Uint8Array;
  calls: Map<number, number>;
  /** ld_imm64 at an instruction index: the 64-bit constant it loads instead of its immediates. */
  constants: Map<number, { hi: number; lo: number }>;
  /** Helper ids the VM implements. */
  helpers: ReadonlySet<number>;
  /** Record every executed instruction through env.trace (slow: for explaining a run). */
  trace?: boolean;
  /** Filled with the helper ids the program calls. */
  used?: Set<number>;
}

/** The JavaScript a program became; `instructions` for error messages and traces. */
export interface Translation {
  source: string;
  instructions: number;
}

export const STACK_FRAME = 512;
export const MAX_CALL_FRAMES = 8;
export const HELPER_TAIL_CALL = 12;

const BASE = REGION_BASE;

export class TranslateError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
  }
}

const Class = { LD: 0, LDX: 1, ST: 2, STX: 3, ALU: 4, JMP: 5, JMP32: 6, ALU64: 7 } as const;
const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
const sizeBytes: Record<number, number> = { [Size.W]: 4, [Size.H]: 2, [Size.B]: 1, [Size.DW]: 8 };
const Mode = { IMM: 0x00, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

export function translate(input: TranslateInput): Translation {
  const { code } = input;
  const count = code.length / 8;
  if (!Number.isInteger(count) || count === 0) throw new TranslateError(0, `program '${input.name}' has no instructions`);
  const view = new DataView(code.buffer, code.byteOffset, code.byteLength);
  const op = (i: number) => code[i * 8]!;
  const regs = (i: number) => ({ dst: code[i * 8 + 1]! & 0xf, src: code[i * 8 + 1]! >> 4 });
  const off = (i: number) => view.getInt16(i * 8 + 2, true);
  const imm = (i: number) => view.getInt32(i * 8 + 4, true);

  // Pass 1: instruction starts (ld_imm64 takes two slots) and jump targets.
  const isStart = new Uint8Array(count);
  const targets = new Set<number>([0]);
  for (let i = 0; i < count; i++) {
    isStart[i] = 1;
    const o = op(i);
    const cls = o & 7;
    if (o === 0x18) {
      if (i + 1 >= count) throw new TranslateError(i, "ld_imm64 is missing its second half");
      i++;
      continue;
    }
    if (cls === Class.JMP || cls === Class.JMP32) {
      const code4 = o & 0xf0;
      if (code4 === 0x80) {
        if (input.calls.has(i)) {
          targets.add(input.calls.get(i)!);
          targets.add(i + 1);
        }
        continue;
      }
      if (code4 === 0x90) continue;
      const target = code4 === 0x00 && cls === Class.JMP32 ? i + imm(i) + 1 : i + off(i) + 1;
      if (target < 0 || target >= count) throw new TranslateError(i, `jump to instruction ${target}, outside the program (0…${count - 1})`);
      targets.add(target);
      if (code4 !== 0x00) targets.add(i + 1);
    }
  }
  for (const t of targets)
    if (t < count && !isStart[t]) throw new TranslateError(t, `a jump lands in the middle of ld_imm64 at instruction ${t - 1}`);

  const out: string[] = [];
  const helpersUsed = new Set<number>();
  const emit = (s: string) => out.push(s);
  for (let i = 0; i < count; i++) {
    if (!isStart[i]) continue;
    if (targets.has(i)) emit(`case ${i}:`);
    if (input.trace) emit(`env.trace(${i});`);
    const o = op(i);
    const cls = o & 7;
    const { dst, src } = regs(i);
    if (dst > 10 || src > 10) throw new TranslateError(i, `register r${Math.max(dst, src)} does not exist (r0…r10)`);
    const HD = `h${dst}`,
      LD = `l${dst}`;
    const useReg = (o & 0x08) !== 0;
    const k = imm(i);
    const HS = useReg ? `h${src}` : String(k < 0 ? -1 : 0);
    const LS = useReg ? `l${src}` : String(k);
    const writesR10 = () => {
      if (dst === 10) throw new TranslateError(i, "r10 (the frame pointer) is read-only");
    };
    switch (cls) {
      case Class.ALU64:
        writesR10();
        emit(alu64(i, o >> 4, HD, LD, HS, LS, off(i), k));
        break;
      case Class.ALU:
        writesR10();
        emit(alu32(i, o >> 4, HD, LD, LS, off(i), k, useReg));
        break;
      case Class.JMP:
      case Class.JMP32:
        emit(jump(i, o, cls === Class.JMP32, HD, LD, HS, LS, off(i), k, { ...input, used: helpersUsed }));
        break;
      case Class.LD: {
        if (o !== 0x18) throw new TranslateError(i, `opcode 0x${o.toString(16)} (legacy packet access) is not allowed in XDP programs`);
        writesR10();
        const constant = input.constants.get(i);
        if (constant) emit(`${HD} = ${constant.hi | 0}; ${LD} = ${constant.lo | 0};`);
        else if (src !== 0)
          throw new TranslateError(i, `ld_imm64 with source ${src} (a map or function reference) that no relocation resolved`);
        else emit(`${HD} = ${view.getInt32((i + 1) * 8 + 4, true)}; ${LD} = ${k};`);
        break;
      }
      case Class.LDX: {
        writesR10();
        const mode = o & 0xe0;
        if (mode !== Mode.MEM && mode !== Mode.MEMSX) throw new TranslateError(i, `load opcode 0x${o.toString(16)} is not a BPF load`);
        emit(load(i, o & 0x18, mode === Mode.MEMSX, HD, LD, `h${src}`, `l${src}`, off(i)));
        break;
      }
      case Class.ST:
      case Class.STX: {
        const mode = o & 0xe0;
        const size = o & 0x18;
        if (cls === Class.STX && mode === Mode.ATOMIC) {
          if (size !== Size.W && size !== Size.DW) throw new TranslateError(i, "atomic operations are 32 or 64 bits wide");
          emit(atomic(i, k, sizeBytes[size]!, HD, LD, `h${src}`, `l${src}`, off(i)));
          break;
        }
        if (mode !== Mode.MEM) throw new TranslateError(i, `store opcode 0x${o.toString(16)} is not a BPF store`);
        const vh = cls === Class.ST ? String(k < 0 ? -1 : 0) : `h${src}`;
        const vl = cls === Class.ST ? String(k) : `l${src}`;
        emit(store(i, size, HD, LD, vh, vl, off(i)));
        break;
      }
    }
  }
  // Falling off the end: the verifier rejects it; here it is a fault.
  emit(`fault(${count - 1}, "the program ran past its last instruction without exit");`);
  return { source: wrap(out.join("\n"), input.name, [...helpersUsed]), instructions: count };
}

function alu64(i: number, code: number, HD: string, LD: string, HS: string, LS: string, offset: number, k: number): string {
  switch (code) {
    case 0x0:
      return `x = (${LD} >>> 0) + (${LS} >>> 0); ${HD} = (${HD} + ${HS} + (x > 4294967295 ? 1 : 0)) | 0; ${LD} = x | 0;`;
    case 0x1:
      return `x = (${LD} >>> 0) - (${LS} >>> 0); ${HD} = (${HD} - ${HS} - (x < 0 ? 1 : 0)) | 0; ${LD} = x | 0;`;
    case 0x2:
      return `${LD} = mul64(${HD}, ${LD}, ${HS}, ${LS}); ${HD} = H;`;
    case 0x3:
      return `${LD} = ${offset === 1 ? "sdiv64" : "div64"}(${HD}, ${LD}, ${HS}, ${LS}); ${HD} = H;`;
    case 0x9:
      return `${LD} = ${offset === 1 ? "smod64" : "mod64"}(${HD}, ${LD}, ${HS}, ${LS}); ${HD} = H;`;
    case 0x4:
      return `${HD} |= ${HS}; ${LD} |= ${LS};`;
    case 0x5:
      return `${HD} &= ${HS}; ${LD} &= ${LS};`;
    case 0xa:
      return `${HD} ^= ${HS}; ${LD} ^= ${LS};`;
    case 0x6:
      return `${LD} = shl64(${HD}, ${LD}, ${LS} & 63); ${HD} = H;`;
    case 0x7:
      return `${LD} = shr64(${HD}, ${LD}, ${LS} & 63); ${HD} = H;`;
    case 0xc:
      return `${LD} = sar64(${HD}, ${LD}, ${LS} & 63); ${HD} = H;`;
    case 0x8:
      return `x = 0 - (${LD} >>> 0); ${HD} = (0 - ${HD} - (x < 0 ? 1 : 0)) | 0; ${LD} = x | 0;`;
    case 0xb:
      switch (offset) {
        case 0:
          return `${HD} = ${HS}; ${LD} = ${LS};`;
        case 8:
          return `${LD} = (${LS} << 24) >> 24; ${HD} = ${LD} >> 31;`;
        case 16:
          return `${LD} = (${LS} << 16) >> 16; ${HD} = ${LD} >> 31;`;
        case 32:
          return `${LD} = ${LS}; ${HD} = ${LD} >> 31;`;
        default:
          throw new TranslateError(i, `mov with offset ${offset} (movsx takes 8, 16 or 32)`);
      }
    case 0xd: // BPF_ALU64 | BPF_END: unconditional byte swap (cpu v4)
      return bswap(i, k, HD, LD);
    default:
      throw new TranslateError(i, `ALU64 operation 0x${code.toString(16)} does not exist`);
  }
}

function bswap(i: number, width: number, HD: string, LD: string): string {
  switch (width) {
    case 16:
      return `${LD} = ((${LD} & 0xff) << 8) | ((${LD} >>> 8) & 0xff); ${HD} = 0;`;
    case 32:
      return `${LD} = bswap32(${LD}); ${HD} = 0;`;
    case 64:
      return `x = bswap32(${LD}); ${LD} = bswap32(${HD}); ${HD} = x;`;
    default:
      throw new TranslateError(i, `byte swap of ${width} bits (16, 32 or 64)`);
  }
}

function alu32(i: number, code: number, HD: string, LD: string, LS: string, offset: number, k: number, useReg: boolean): string {
  const set = (expr: string) => `${LD} = ${expr}; ${HD} = 0;`;
  switch (code) {
    case 0x0:
      return set(`(${LD} + ${LS}) | 0`);
    case 0x1:
      return set(`(${LD} - ${LS}) | 0`);
    case 0x2:
      return set(`Math.imul(${LD}, ${LS})`);
    case 0x3:
      return offset === 1
        ? set(`${LS} === 0 ? 0 : ${LS} === -1 ? (-${LD}) | 0 : (${LD} / ${LS}) | 0`)
        : set(`${LS} === 0 ? 0 : ((${LD} >>> 0) / (${LS} >>> 0)) | 0`);
    case 0x9:
      return offset === 1
        ? set(`${LS} === 0 ? ${LD} : ${LS} === -1 ? 0 : (${LD} % ${LS}) | 0`)
        : set(`${LS} === 0 ? ${LD} : ((${LD} >>> 0) % (${LS} >>> 0)) | 0`);
    case 0x4:
      return set(`${LD} | ${LS}`);
    case 0x5:
      return set(`${LD} & ${LS}`);
    case 0xa:
      return set(`${LD} ^ ${LS}`);
    case 0x6:
      return set(`${LD} << (${LS} & 31)`);
    case 0x7:
      return set(`(${LD} >>> (${LS} & 31)) | 0`);
    case 0xc:
      return set(`${LD} >> (${LS} & 31)`);
    case 0x8:
      return set(`(-${LD}) | 0`);
    case 0xb:
      switch (offset) {
        case 0:
          return set(LS);
        case 8:
          return set(`(${LS} << 24) >> 24`);
        case 16:
          return set(`(${LS} << 16) >> 16`);
        default:
          throw new TranslateError(i, `mov32 with offset ${offset} (movsx takes 8 or 16)`);
      }
    case 0xd: {
      // BPF_END: to little endian (the host order here) truncates; to big endian swaps.
      if (!useReg) {
        switch (k) {
          case 16:
            return `${LD} &= 0xffff; ${HD} = 0;`;
          case 32:
            return `${HD} = 0;`;
          case 64:
            return "";
          default:
            throw new TranslateError(i, `byte order conversion of ${k} bits (16, 32 or 64)`);
        }
      }
      return bswap(i, k, HD, LD);
    }
    default:
      throw new TranslateError(i, `ALU operation 0x${code.toString(16)} does not exist`);
  }
}

function condition(i: number, code: number, wide: boolean, HD: string, LD: string, HS: string, LS: string): string {
  const ud = `(${LD} >>> 0)`,
    us = `(${LS} >>> 0)`;
  const hu = (cmp: string, lo: string) => (wide ? `((${HD} >>> 0) ${cmp} (${HS} >>> 0) || (${HD} === ${HS} && ${lo}))` : lo);
  const hs = (cmp: string, lo: string) => (wide ? `(${HD} ${cmp} ${HS} || (${HD} === ${HS} && ${lo}))` : lo.replace(/>>> 0/g, "| 0"));
  switch (code) {
    case 0x1:
      return wide ? `(${LD} === ${LS} && ${HD} === ${HS})` : `${LD} === ${LS}`;
    case 0x5:
      return wide ? `(${LD} !== ${LS} || ${HD} !== ${HS})` : `${LD} !== ${LS}`;
    case 0x2:
      return hu(">", `${ud} > ${us}`);
    case 0x3:
      return hu(">", `${ud} >= ${us}`);
    case 0xa:
      return hu("<", `${ud} < ${us}`);
    case 0xb:
      return hu("<", `${ud} <= ${us}`);
    case 0x6:
      return hs(">", wide ? `${ud} > ${us}` : `${LD} > ${LS}`);
    case 0x7:
      return hs(">", wide ? `${ud} >= ${us}` : `${LD} >= ${LS}`);
    case 0xc:
      return hs("<", wide ? `${ud} < ${us}` : `${LD} < ${LS}`);
    case 0xd:
      return hs("<", wide ? `${ud} <= ${us}` : `${LD} <= ${LS}`);
    case 0x4:
      return wide ? `((${LD} & ${LS}) !== 0 || (${HD} & ${HS}) !== 0)` : `(${LD} & ${LS}) !== 0`;
    default:
      throw new TranslateError(i, `jump operation 0x${code.toString(16)} does not exist`);
  }
}

/** A jump to `target`: backward jumps pay their distance into the instruction budget. */
function goto(i: number, target: number): string {
  const charge = target <= i ? `if ((steps -= ${i - target + 1}) < 0) runaway(${i}); ` : "";
  return `{ ${charge}pc = ${target}; continue; }`;
}

function jump(
  i: number,
  o: number,
  wide32: boolean,
  HD: string,
  LD: string,
  HS: string,
  LS: string,
  offset: number,
  k: number,
  input: TranslateInput,
): string {
  const code = o >> 4;
  const wide = !wide32;
  if (code === 0x0) return goto(i, wide32 ? i + k + 1 : i + offset + 1);
  if (code === 0x8) {
    if (wide32) throw new TranslateError(i, "call is a JMP-class instruction, not JMP32");
    const callee = input.calls.get(i);
    if (callee !== undefined) {
      return (
        `if (frames.length >= ${(MAX_CALL_FRAMES - 1) * 11}) fault(${i}, "BPF-to-BPF calls nest deeper than ${MAX_CALL_FRAMES} frames"); ` +
        `frames.push(${i + 1}, h6, l6, h7, l7, h8, l8, h9, l9, h10, l10); l10 = (l10 - ${STACK_FRAME}) | 0; ${goto(i, callee)}`
      );
    }
    if (((input.code[i * 8 + 1]! >> 4) & 0xf) !== 0)
      throw new TranslateError(
        i,
        `call with source ${(input.code[i * 8 + 1]! >> 4) & 0xf} (a kfunc or unresolved subprogram call): the VM runs helpers only`,
      );
    if (!input.helpers.has(k)) throw new TranslateError(i, `helper ${k} is not implemented by the VM`);
    input.used?.add(k);
    const call = `l0 = helper${k}(${i}, h1, l1, h2, l2, h3, l3, h4, l4, h5, l5); h0 = env.rh;`;
    return k === HELPER_TAIL_CALL ? `${call} if (env.tailTarget !== undefined) return 0;` : call;
  }
  if (code === 0x9) {
    if (wide32) throw new TranslateError(i, "exit is a JMP-class instruction, not JMP32");
    return `if (frames.length === 0) return l0; l10 = frames.pop(); h10 = frames.pop(); l9 = frames.pop(); h9 = frames.pop(); l8 = frames.pop(); h8 = frames.pop(); l7 = frames.pop(); h7 = frames.pop(); l6 = frames.pop(); h6 = frames.pop(); pc = frames.pop(); continue;`;
  }
  return `if (${condition(i, code, wide, HD, LD, HS, LS)}) ${goto(i, i + offset + 1)}`;
}

function load(i: number, size: number, signExtend: boolean, HD: string, LD: string, HS: string, LS: string, offset: number): string {
  const n = sizeBytes[size]!;
  let read: string;
  switch (size) {
    case Size.B:
      read = signExtend ? `${LD} = t.view.getInt8(o); ${HD} = ${LD} >> 31;` : `${LD} = t.bytes[o]; ${HD} = 0;`;
      break;
    case Size.H:
      read = signExtend ? `${LD} = t.view.getInt16(o, true); ${HD} = ${LD} >> 31;` : `${LD} = t.view.getUint16(o, true); ${HD} = 0;`;
      break;
    case Size.W:
      read = `${LD} = t.view.getInt32(o, true); ${HD} = ${signExtend ? `${LD} >> 31` : "0"};`;
      break;
    default:
      if (signExtend) throw new TranslateError(i, "a sign-extending load of 64 bits does not exist");
      read = `${LD} = t.view.getInt32(o, true); ${HD} = t.view.getInt32(o + 4, true);`;
  }
  return `t = M[${HS}]; o = (${LS} - ${BASE - offset}) | 0; if (t !== undefined && o >= t.start && o <= t.end - ${n}) { ${read} } else { ${LD} = slowLoad(${i}, ${HS}, (${LS} + ${offset}) | 0, ${n}, ${signExtend}); ${HD} = env.rh; }`;
}

function store(i: number, size: number, HD: string, LD: string, VH: string, VL: string, offset: number): string {
  const n = sizeBytes[size]!;
  let write: string;
  switch (size) {
    case Size.B:
      write = `t.bytes[o] = ${VL};`;
      break;
    case Size.H:
      write = `t.view.setUint16(o, ${VL}, true);`;
      break;
    case Size.W:
      write = `t.view.setInt32(o, ${VL}, true);`;
      break;
    default:
      write = `t.view.setInt32(o, ${VL}, true); t.view.setInt32(o + 4, ${VH}, true);`;
  }
  return `t = M[${HD}]; o = (${LD} - ${BASE - offset}) | 0; if (t !== undefined && o >= t.start && o <= t.writeEnd - ${n}) { ${write} } else slowStore(${i}, ${HD}, (${LD} + ${offset}) | 0, ${n}, ${VH}, ${VL});`;
}

function atomic(i: number, operation: number, n: number, HD: string, LD: string, HS: string, LS: string, offset: number): string {
  const known = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
  if (!known.includes(operation)) throw new TranslateError(i, `atomic operation 0x${operation.toString(16)} does not exist`);
  const call = `x = atomic(${i}, ${operation}, ${n}, ${HD}, (${LD} + ${offset}) | 0, ${HS}, ${LS}, h0, l0);`;
  if (operation === 0xf1) return `${call} l0 = x; h0 = env.rh;`;
  if (operation & 1) return `${call} ${LS} = x; ${HS} = env.rh;`;
  return call;
}

function wrap(body: string, name: string, helpers: number[]): string {
  const registers = Array.from({ length: 10 }, (_, r) => `h${r} = 0, l${r} = 0`).join(", ");
  return `"use strict";
// ${name.replace(/[^\w.-]/g, "_")}: translated by tsxdp's BPF VM
const { M, slowLoad, slowStore, atomic, fault, runaway } = env;
${prelude}
${helpers.map((id) => `const helper${id} = env.helpers[${id}];`).join("\n")}
return function run(ctxH, ctxL, stackH, stackL, budget) {
  let ${registers}, h10 = stackH, l10 = stackL;
  h1 = ctxH; l1 = ctxL;
  let t, o = 0, x = 0, pc = 0, steps = budget;
  const frames = [];
  for (;;) {
    switch (pc) {
${body}
      default: fault(pc, "a jump to an instruction that is not the start of one");
    }
  }
};`;
}

/** 64-bit operations on (hi, lo) pairs; results: low word returned, high word in H. */
const prelude = `let H = 0;
const B64 = 18446744073709551616n;
const big = (h, l) => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
const sbig = (h, l) => (BigInt(h) << 32n) | BigInt(l >>> 0);
const fromBig = (v) => { v = BigInt.asUintN(64, v); H = Number(v >> 32n) | 0; return Number(v & 0xffffffffn) | 0; };
function mulhi32(a, b) {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const mid = a1 * b0 + ((a0 * b0) >>> 16);
  const mid2 = a0 * b1 + (mid & 0xffff);
  return (a1 * b1 + Math.floor(mid / 65536) + Math.floor(mid2 / 65536)) | 0;
}
function mul64(ah, al, bh, bl) {
  H = (mulhi32(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
  return Math.imul(al, bl);
}
function div64(ah, al, bh, bl) { if ((bh | bl) === 0) { H = 0; return 0; } if ((ah | bh) === 0) { H = 0; return ((al >>> 0) / (bl >>> 0)) | 0; } return fromBig(big(ah, al) / big(bh, bl)); }
function mod64(ah, al, bh, bl) { if ((bh | bl) === 0) { H = ah; return al; } if ((ah | bh) === 0) { H = 0; return ((al >>> 0) % (bl >>> 0)) | 0; } return fromBig(big(ah, al) % big(bh, bl)); }
function sdiv64(ah, al, bh, bl) { if ((bh | bl) === 0) { H = 0; return 0; } if (bh === -1 && bl === -1) return fromBig(-sbig(ah, al)); return fromBig(sbig(ah, al) / sbig(bh, bl)); }
function smod64(ah, al, bh, bl) { if ((bh | bl) === 0) { H = ah; return al; } if (bh === -1 && bl === -1) { H = 0; return 0; } return fromBig(sbig(ah, al) % sbig(bh, bl)); }
function shl64(h, l, n) { if (n === 0) { H = h; return l; } if (n < 32) { H = (h << n) | (l >>> (32 - n)); return l << n; } H = l << (n - 32); return 0; }
function shr64(h, l, n) { if (n === 0) { H = h; return l; } if (n < 32) { H = h >>> n | 0; return ((l >>> n) | (h << (32 - n))) | 0; } H = 0; return (h >>> (n - 32)) | 0; }
function sar64(h, l, n) { if (n === 0) { H = h; return l; } if (n < 32) { H = h >> n; return ((l >>> n) | (h << (32 - n))) | 0; } H = h >> 31; return h >> (n - 32); }
function bswap32(v) { return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24); }`;
