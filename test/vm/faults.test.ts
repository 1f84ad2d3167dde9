// Faults in the VM: an access outside the packet, a runaway loop, an unknown helper and a
// bad jump end in an Error that names the program, the instruction and (from .BTF.ext) the
// .xdp.ts line, never in a JavaScript crash or made-up bytes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BpfError, BpfObject } from "../../runtime/index.js";
import { Machine } from "../../runtime/vm/machine.js";
import { readElf } from "../../runtime/vm/elf.js";
import type { VmProgramSpec } from "../../runtime/vm/spec.js";
import { buildFile } from "../lib/build.js";
import { repoRoot } from "../lib/paths.js";
import { build } from "../lib/packets.js";
import { type Instruction, encodeInstructions } from "../lib/bpf-asm.js";

function program(name: string, instructions: Instruction[], lines: VmProgramSpec["lines"] = []): VmProgramSpec {
  return { name, section: "xdp", code: encodeInstructions(instructions), mapReferences: new Map(), calls: new Map(), lines };
}

const machine = () => new Machine({ instructionBudget: 10_000 }, new Map());
const frame = new Uint8Array(20);

test("a load past data_end is an EFAULT naming the instruction, its line and the packet bounds", () => {
  const m = machine();
  const p = m.compile(
    program(
      "reader",
      [
        [0x61, 0x12, 0, 0], // r2 = *(u32 *)(r1 + 0)  (data)
        [0x61, 0x20, 100, 0], // r0 = *(u32 *)(r2 + 100)
        [0x95, 0, 0, 0],
      ],
      [{ index: 1, info: { file: "/src/reader.xdp.ts", line: 7, column: 3, text: "const word = view.value;" } }],
    ),
    1,
    [],
  );
  try {
    m.testRun(p, frame);
    assert.unreachable("the load should fault");
  } catch (error) {
    assert.instance(error, BpfError);
    assert.is((error as BpfError).code, "EFAULT");
    assert.match(
      (error as Error).message,
      "program 'reader' faulted in the VM at instruction 1 (reader.xdp.ts:7: `const word = view.value;`)",
    );
    assert.match((error as Error).message, "at packet offset 100, outside the packet (data_meta 0, data_end 20)");
  }
});

test("a loop that does not end stops at the instruction budget", () => {
  const m = machine();
  const p = m.compile(
    program("spin", [
      [0xb7, 0, 0, 0],
      [0x05, 0, -1, 0],
      [0x95, 0, 0, 0],
    ]),
    1,
    [],
  );
  assert.throws(
    () => m.testRun(p, frame),
    (e: Error) => /instruction 1: ran more than 10000 instructions \(the instruction budget/.test(e.message),
  );
});

test("a store into the context and a load through a scalar fault in words", () => {
  const m = machine();
  const store = m.compile(
    program("ctxStore", [
      [0x62, 0x01, 0, 7],
      [0xb7, 0, 0, 2],
      [0x95, 0, 0, 0],
    ]),
    1,
    [],
  );
  assert.throws(
    () => m.testRun(store, frame),
    (e: Error) => /instruction 0: a store into the context \(struct xdp_md is read-only\)/.test(e.message),
  );
  const scalar = m.compile(
    program("scalar", [
      [0xb7, 2, 0, 1234],
      [0x61, 0x20, 0, 0],
      [0x95, 0, 0, 0],
    ]),
    2,
    [],
  );
  assert.throws(
    () => m.testRun(scalar, frame),
    (e: Error) => /instruction 1: a load of 4 bytes through a value that is not a pointer to memory \(0x4d2\)/.test(e.message),
  );
});

test("an unknown helper, a jump out of the program and r10 writes are refused at load", () => {
  const m = machine();
  assert.throws(
    () =>
      m.compile(
        program("helper", [
          [0x85, 0, 0, 9999],
          [0x95, 0, 0, 0],
        ]),
        1,
        [],
      ),
    (e: Error) => /cannot load program 'helper': instruction 0: helper 9999 is not implemented by the VM/.test(e.message),
  );
  assert.throws(
    () =>
      m.compile(
        program("jump", [
          [0x05, 0, 5, 0],
          [0x95, 0, 0, 0],
        ]),
        1,
        [],
      ),
    (e: Error) => /instruction 0: jump to instruction 6, outside the program/.test(e.message),
  );
  assert.throws(
    () =>
      m.compile(
        program("r10", [
          [0xb7, 10, 0, 0],
          [0x95, 0, 0, 0],
        ]),
        1,
        [],
      ),
    (e: Error) => /r10 \(the frame pointer\) is read-only/.test(e.message),
  );
});

test("a fault in a built object names its .xdp.ts line (from .BTF.ext)", async () => {
  // helpers.xdp.ts with its IPv4 bounds checks turned into no-ops: a 14-byte frame then
  // reads past data_end where the IPv4 header would start.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-vm-faults-"));
  const { object } = await buildFile(path.join(repoRoot, "verifier-tests/pass/helpers.xdp.ts"), dir);
  const bytes = new Uint8Array(fs.readFileSync(object));
  const xdp = readElf(bytes).section("xdp")!;
  const start = xdp.data.byteOffset - bytes.byteOffset;
  let patched = 0;
  for (let at = start; at < start + xdp.size; at += 8) {
    if (bytes[at] === 0x2d && patched < 2) {
      // if rX > rY goto: the bounds checks against data_end
      bytes.set([0x05, 0, 0, 0, 0, 0, 0, 0], at);
      patched++;
    }
  }
  assert.is(patched, 2);
  const obj = await (await BpfObject.open(bytes, { backend: "vm" })).load();
  try {
    const eth = build([{ eth: {} }]).subarray(0, 14);
    Uint8Array.from(eth).set([0x08, 0x00], 12);
    const frame14 = Uint8Array.from(eth);
    frame14.set([0x08, 0x00], 12);
    assert.throws(
      () => obj.program("helpers").run(frame14),
      (e: Error) =>
        /faulted in the VM at instruction \d+ \(helpers\.xdp\.ts:\d+: `[^`]+`\): a load of 1 bytes at packet offset 14, outside the packet/.test(
          e.message,
        ),
    );
  } finally {
    obj.close();
  }
});

test.run();
