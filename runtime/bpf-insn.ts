// A small BPF instruction encoder for the few fixed programs the runtime and its tools load
// without a compiler run (tsxdp's default AF_XDP redirect program, a live-frames sender, a
// benchmark's drop program). struct bpf_insn: opcode u8, dst_reg:4 | src_reg:4, off s16,
// imm s32, little endian; a 64-bit immediate load takes two slots.
import { XDP } from "./xdp.js";

/** One encoded slot, before packing. */
interface Slot {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

/** An instruction: one slot, or two for a 64-bit immediate load. */
export type Insn = readonly Slot[];

// Opcodes (class | size/source | mode/op) used here.
const BPF_ALU64_MOV_K = 0xb7;
const BPF_ALU64_MOV_X = 0xbf;
const BPF_ALU64_ADD_K = 0x07;
const BPF_LDX_MEM_W = 0x61;
const BPF_STX_MEM_W = 0x63;
const BPF_STX_ATOMIC_DW = 0xdb;
const BPF_LD_IMM_DW = 0x18;
const BPF_JMP_JEQ_K = 0x15;
const BPF_JMP_CALL = 0x85;
const BPF_JMP_EXIT = 0x95;
/** imm of an atomic instruction: BPF_ADD without BPF_FETCH. */
const BPF_ATOMIC_ADD = 0x00;
/** src_reg of an ld_imm64 whose immediate is a map fd (libbpf's relocation target). */
const BPF_PSEUDO_MAP_FD = 1;

const slot = (code: number, dst: number, src: number, off: number, imm: number): Insn => [{ code, dst, src, off, imm }];

/** dst = imm (64-bit move of a sign-extended 32-bit immediate). */
export const movImm = (dst: number, imm: number): Insn => slot(BPF_ALU64_MOV_K, dst, 0, 0, imm);
/** dst = src. */
export const movReg = (dst: number, src: number): Insn => slot(BPF_ALU64_MOV_X, dst, src, 0, 0);
/** dst += imm. */
export const addImm = (dst: number, imm: number): Insn => slot(BPF_ALU64_ADD_K, dst, 0, 0, imm);
/** *(u32 *)(dst + off) = src. */
export const storeU32 = (dst: number, off: number, src: number): Insn => slot(BPF_STX_MEM_W, dst, src, off, 0);
/** lock *(u64 *)(dst + off) += src. */
export const atomicAddU64 = (dst: number, off: number, src: number): Insn => slot(BPF_STX_ATOMIC_DW, dst, src, off, BPF_ATOMIC_ADD);
/** if dst == imm, skip `off` instructions. */
export const jumpIfEqual = (dst: number, imm: number, off: number): Insn => slot(BPF_JMP_JEQ_K, dst, 0, off, imm);
/** dst = *(u32 *)(src + off). */
export const loadU32 = (dst: number, src: number, off: number): Insn => slot(BPF_LDX_MEM_W, dst, src, off, 0);
/** dst = the map behind `mapFd` (ld_imm64 with BPF_PSEUDO_MAP_FD). */
export const loadMapFd = (dst: number, mapFd: number): Insn => [
  { code: BPF_LD_IMM_DW, dst, src: BPF_PSEUDO_MAP_FD, off: 0, imm: mapFd },
  { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
];
/** Calls kernel helper `id` (BPF_FUNC_*): arguments in r1…r5, result in r0. */
export const callHelper = (id: number): Insn => slot(BPF_JMP_CALL, 0, 0, 0, id);
/** Returns r0. */
export const exit = (): Insn => slot(BPF_JMP_EXIT, 0, 0, 0, 0);

/** The instructions as the kernel takes them (BPF_PROG_LOAD's insns). */
export function encode(insns: readonly Insn[]): Uint8Array {
  const slots = insns.flat();
  const view = new DataView(new ArrayBuffer(slots.length * 8));
  slots.forEach((s, i) => {
    view.setUint8(i * 8, s.code);
    view.setUint8(i * 8 + 1, (s.src << 4) | s.dst);
    view.setInt16(i * 8 + 2, s.off, true);
    view.setInt32(i * 8 + 4, s.imm, true);
  });
  return new Uint8Array(view.buffer);
}

/** An XDP program that returns `action` for every frame: `r0 = action; exit`. */
export function verdictProgram(action: XDP): Uint8Array {
  return encode([movImm(0, action), exit()]);
}
