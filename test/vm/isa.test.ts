// The instruction set, differentially: seeded random straight-line programs (every ALU
// operation in 32 and 64 bits with register and immediate operands, cpu v4's sdiv/smod,
// movsx, sign-extending loads and bswap, JMP/JMP32 conditions, atomics on the stack) load
// raw into the kernel and into the VM; their results land in the packet, which must come
// out the same.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { native } from "../../runtime/native.js";
import { Machine } from "../../runtime/vm/machine.js";
import { requireKernel } from "../lib/kernel-env.js";
import { seededRandom } from "../lib/differential.js";
import { type Instruction, encodeInstructions } from "../lib/bpf-asm.js";

type Insn = Instruction;
const BPF_PROG_TYPE_XDP = 6;
/** r0 and r6…r9 hold the values; r2 keeps the packet pointer, r10 the stack. */
const values = [0, 6, 7, 8, 9];
const edge = [0, 1, -1, 2, 7, 31, 32, 63, 0x7fffffff, -0x80000000, 0x80, 0xffff, -2, 255, 65535, 3, 1 << 20];

function generate(random: () => number): Insn[] {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(a: readonly T[]) => a[int(a.length)]!;
  const imm = () => (random() < 0.5 ? pick(edge) : int(2 ** 32) | 0);
  const body: Insn[] = [];
  const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
  const count = 10 + int(30);
  for (let i = 0; i < count; i++) {
    const dst = pick(values),
      src = pick(values);
    const kind = int(10);
    if (kind < 6) {
      const cls = random() < 0.5 ? 0x07 : 0x04; // ALU64 or ALU
      const op = pick(aluOps);
      const useReg = random() < 0.5 && op !== 0x80;
      let offset = 0;
      if ((op === 0x30 || op === 0x90) && random() < 0.4) offset = 1; // sdiv, smod
      if (op === 0xb0 && useReg && random() < 0.4) offset = cls === 0x07 ? pick([8, 16, 32]) : pick([8, 16]); // movsx (registers only)
      let k = op === 0x80 ? 0 : imm(); // neg takes no immediate
      if ((op === 0x30 || op === 0x90) && k === 0) k = 3; // the verifier refuses a division by the constant 0
      if (op === 0x60 || op === 0x70 || op === 0xc0) {
        if (!useReg) k = int(cls === 0x07 ? 64 : 32);
        else body.push([cls === 0x07 ? 0x57 : 0x54, src, 0, cls === 0x07 ? 63 : 31]); // the verifier wants shift amounts in range
      }
      body.push([cls | op | (useReg ? 0x08 : 0), dst | (useReg ? src << 4 : 0), offset, useReg ? 0 : k]);
    } else if (kind === 6) {
      // byte order: to_le/to_be (ALU) and bswap (ALU64) of 16/32/64 bits
      const width = pick([16, 32, 64]);
      body.push([pick([0xd4, 0xdc, 0xd7]), dst, 0, width]);
    } else if (kind === 7) {
      // a conditional jump over 1 or 2 instructions
      const skip = 1 + int(2);
      const cls = random() < 0.5 ? 0x05 : 0x06;
      const op = pick([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
      const useReg = random() < 0.5;
      body.push([cls | op | (useReg ? 0x08 : 0), dst | (useReg ? src << 4 : 0), skip, useReg ? 0 : imm()]);
      for (let s = 0; s < skip; s++) body.push([0x07, pick(values), 0, imm()]);
    } else if (kind === 8) {
      // an atomic on a stack slot: store, operate (with or without fetch), load back
      const wide = random() < 0.5;
      const size = wide ? 0x18 : 0x00;
      body.push([0x7b, 10 | (dst << 4), -8, 0]); // *(u64 *)(r10 - 8) = dst
      const op = pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
      body.push([0xc3 | size, 10 | (src << 4), -8, op]);
      body.push([0x79, dst | (10 << 4), -8, 0]); // dst = *(u64 *)(r10 - 8)
      body.push([0x61, 6 | (10 << 4), -8, 0]); // r6 = *(u32 *)(r10 - 8)
    } else {
      // a sign-extending or plain load of packet bytes
      const size = pick([0x00, 0x08, 0x10]);
      body.push([random() < 0.5 ? 0x81 | size : 0x61 | size, dst | (2 << 4), int(40), 0]);
    }
  }
  return [
    [0x61, 2 | (1 << 4), 0, 0], // r2 = data
    [0x61, 3 | (1 << 4), 4, 0], // r3 = data_end
    [0xbf, 4 | (2 << 4), 0, 0], // r4 = r2
    [0x07, 4, 0, 64], // r4 += 64
    [0x2d, 4 | (3 << 4), values.length + body.length + values.length, 0], // if r4 > r3 goto out (past the loads, the body and the stores)
    ...values.map((r, i): Insn => [0x79, r | (2 << 4), i * 8, 0]), // operands from the packet
    ...body,
    ...values.map((r, i): Insn => [0x7b, 2 | (r << 4), i * 8, 0]), // results into the packet
    [0xb7, 0, 0, 2], // out: r0 = XDP_PASS
    [0x95, 0, 0, 0],
  ];
}

test("random ALU/JMP/atomic programs compute the same bytes in the kernel and the VM", () => {
  if (!requireKernel("BPF_PROG_TEST_RUN of raw programs")) return;
  const random = seededRandom(20261203);
  const machine = new Machine({}, new Map());
  let programs = 0,
    rejected = 0,
    runs = 0;
  const failures: string[] = [];
  for (let p = 0; p < 400 && failures.length < 3; p++) {
    const code = encodeInstructions(generate(random));
    let fd: number;
    try {
      fd = native().progLoadRaw(BPF_PROG_TYPE_XDP, code, "GPL", "isa");
    } catch (error) {
      rejected++; // e.g. the verifier's own limits on a generated sequence
      continue;
    }
    programs++;
    try {
      const vm = machine.compile(
        { name: `isa${p}`, section: "xdp", code, mapReferences: new Map(), calls: new Map(), lines: [] },
        p + 1,
        [],
      );
      for (let i = 0; i < 3; i++) {
        const packet = Uint8Array.from({ length: 64 + Math.floor(random() * 8) }, () => Math.floor(random() * 256));
        const kernel = native().progTestRun(fd, packet, 1, packet.length + 512, 0, null);
        const ours = machine.testRun(vm, packet);
        runs++;
        if (kernel.retval !== ours.retval || Buffer.compare(Buffer.from(kernel.packet), Buffer.from(ours.packet)) !== 0) {
          failures.push(
            `program ${p} (${Buffer.from(code).toString("hex")}) on ${Buffer.from(packet).toString("hex")}:\n  kernel ${kernel.retval} ${Buffer.from(kernel.packet.subarray(0, 40)).toString("hex")}\n  VM     ${ours.retval} ${Buffer.from(ours.packet.subarray(0, 40)).toString("hex")}`,
          );
          break;
        }
      }
    } finally {
      native().close(fd);
    }
  }
  console.log(
    `ISA differential: ${programs} programs loaded (${rejected} refused by the verifier), ${runs} runs, ${failures.length} disagreements`,
  );
  assert.ok(programs >= 300, `only ${programs} of 400 generated programs loaded`);
  assert.equal(failures, []);
});

test.run();
