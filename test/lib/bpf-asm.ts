// Raw BPF instructions for tests that load hand-written or generated programs: each is
// [opcode, dst | src << 4, offset, immediate] (0x12: dst r2, src r1), 8 bytes little-endian.
export type Instruction = [opcode: number, registers: number, offset: number, immediate: number];

export function encodeInstructions(program: readonly Instruction[]): Uint8Array {
  const code = new Uint8Array(program.length * 8);
  const view = new DataView(code.buffer);
  program.forEach(([op, regs, off, imm], i) => {
    code[i * 8] = op;
    code[i * 8 + 1] = regs;
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return code;
}
