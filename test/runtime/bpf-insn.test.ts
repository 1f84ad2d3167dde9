// The BPF instruction encoder against the instruction set's encoding (opcode, dst | src << 4,
// off, imm; little endian), worked out by hand from Documentation/bpf/standardization/
// instruction-set.rst, and a program built with it loading into the kernel.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  addImm,
  atomicAddU64,
  callHelper,
  encode,
  exit,
  jumpIfEqual,
  loadMapFd,
  loadU32,
  movImm,
  movReg,
  storeU32,
  verdictProgram,
} from "../../runtime/bpf-insn.js";
import { native } from "../../runtime/native.js";
import { BPF_PROG_TYPE_XDP } from "../../runtime/kernel.js";
import { requireKernel } from "../lib/kernel-env.js";

test("each instruction encodes as the instruction set says", () => {
  // BPF_ALU64 | BPF_MOV | BPF_K = 0xb7; imm -1 sign-extends, stored as ff ff ff ff.
  assert.equal([...encode([movImm(3, -1)])], [0xb7, 0x03, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  // BPF_LDX | BPF_MEM | BPF_W = 0x61: dst r2 in the low nibble, src r1 in the high one.
  assert.equal([...encode([loadU32(2, 1, 16)])], [0x61, 0x12, 16, 0, 0, 0, 0, 0]);
  // BPF_LD | BPF_IMM | BPF_DW = 0x18 with src = BPF_PSEUDO_MAP_FD (1): two slots.
  assert.equal([...encode([loadMapFd(1, 0x01020304)])], [0x18, 0x11, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  // BPF_JMP | BPF_CALL = 0x85 with the helper id; BPF_JMP | BPF_EXIT = 0x95.
  assert.equal([...encode([callHelper(51), exit()])], [0x85, 0, 0, 0, 51, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  // BPF_ALU64 | BPF_MOV | BPF_X = 0xbf and BPF_ALU64 | BPF_ADD | BPF_K = 0x07 (r10 is the frame pointer).
  assert.equal([...encode([movReg(2, 10), addImm(2, -4)])], [0xbf, 0xa2, 0, 0, 0, 0, 0, 0, 0x07, 0x02, 0, 0, 0xfc, 0xff, 0xff, 0xff]);
  // BPF_STX | BPF_MEM | BPF_W = 0x63, off -4; BPF_STX | BPF_ATOMIC | BPF_DW = 0xdb, imm BPF_ADD = 0.
  assert.equal(
    [...encode([storeU32(10, -4, 1), atomicAddU64(0, 0, 1)])],
    [0x63, 0x1a, 0xfc, 0xff, 0, 0, 0, 0, 0xdb, 0x10, 0, 0, 0, 0, 0, 0],
  );
  // BPF_JMP | BPF_JEQ | BPF_K = 0x15: skip 2 when r0 == 0.
  assert.equal([...encode([jumpIfEqual(0, 0, 2)])], [0x15, 0x00, 2, 0, 0, 0, 0, 0]);
  assert.equal([...verdictProgram(3)], [0xb7, 0, 0, 0, 3, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
});

test("a verdict program loads and returns its verdict on a test run", () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const n = native();
  const prog = n.progLoadRaw(BPF_PROG_TYPE_XDP, verdictProgram(1), "GPL", "tsxdp_test");
  try {
    const r = n.progTestRun(prog, new Uint8Array(64), 1, 128, 0, null);
    assert.is(r.retval, 1);
  } finally {
    n.close(prog);
  }
});

test.run();
