// Integer semantics, checked against what the source means: a generated program computes
// each operation on inputs read from the packet (so nothing is constant-folded) and writes
// the results back; the test computes the same with BigInt and compares, for every width.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { requireKernel } from "../lib/kernel-env.js";
import { loadProgram } from "../lib/testrun.js";

type Op = { source: string; eval: (a: bigint, b: bigint, bits: number, signed: boolean) => bigint };
const wrap = (v: bigint, bits: number, signed: boolean) => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
const truncDiv = (a: bigint, b: bigint) => (b === 0n ? 0n : a / b);
const ops: Op[] = [
  { source: "a + b", eval: (a, b) => a + b },
  { source: "a - b", eval: (a, b) => a - b },
  { source: "a * b", eval: (a, b) => a * b },
  { source: "a / b", eval: (a, b) => truncDiv(a, b) },
  { source: "a % b", eval: (a, b) => (b === 0n ? 0n : a - truncDiv(a, b) * b) },
  { source: "a & b", eval: (a, b) => a & b },
  { source: "a | b", eval: (a, b) => a | b },
  { source: "a ^ b", eval: (a, b) => a ^ b },
  { source: "a << b", eval: (a, b, bits) => a << (BigInt.asUintN(bits, b) & BigInt(bits - 1)) },
  {
    source: "a >> b",
    eval: (a, b, bits, signed) => (signed ? a : BigInt.asUintN(bits, a)) >> (BigInt.asUintN(bits, b) & BigInt(bits - 1)),
  },
  { source: "~a", eval: (a) => ~a },
  { source: "-a", eval: (a) => -a },
  { source: "a < b ? 1 : 0", eval: (a, b) => (a < b ? 1n : 0n) },
  { source: "a >= b ? 1 : 0", eval: (a, b) => (a >= b ? 1n : 0n) },
  { source: "a === b ? 1 : 0", eval: (a, b) => (a === b ? 1n : 0n) },
  { source: "(a > 0 && b > 0) || a === 0 ? 1 : 0", eval: (a, b) => ((a > 0n && b > 0n) || a === 0n ? 1n : 0n) },
];
const types = [
  ["u8", 8, false],
  ["u16", 16, false],
  ["u32", 32, false],
  ["u64", 64, false],
  ["i8", 8, true],
  ["i16", 16, true],
  ["i32", 32, true],
  ["i64", 64, true],
] as const;

function programFor(type: string): string {
  const fields = ops.map((_, i) => `  r${i}: ${type};`).join("\n");
  const body = ops.map((op, i) => `  out.r${i} = ${type}(${op.source});`).join("\n");
  return `import { XdpContext, XDP, ${type} } from "tsxdp";
interface Inputs { a: ${type}; b: ${type}; }
interface Outputs {
${fields}
}
export function compute(ctx: XdpContext): XDP {
  const input = ctx.header<Inputs>(0);
  const out = ctx.header<Outputs>(16);
  if (input === null || out === null) return XDP.ABORTED;
  const a = input.a;
  const b = input.b;
${body}
  return XDP.PASS;
}
`;
}

function write(view: DataView, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  if (bits === 8) view.setUint8(offset, Number(u));
  else if (bits === 16) view.setUint16(offset, Number(u), true);
  else if (bits === 32) view.setUint32(offset, Number(u), true);
  else view.setBigUint64(offset, u, true);
}
function read(view: DataView, offset: number, bits: number, signed: boolean): bigint {
  const raw =
    bits === 8
      ? BigInt(view.getUint8(offset))
      : bits === 16
        ? BigInt(view.getUint16(offset, true))
        : bits === 32
          ? BigInt(view.getUint32(offset, true))
          : view.getBigUint64(offset, true);
  return wrap(raw, bits, signed);
}

const interesting = (bits: number, signed: boolean): bigint[] => {
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  return [0n, 1n, 2n, 3n, 7n, max, max - 1n, min, min + 1n, signed ? -1n : max >> 1n, signed ? -7n : 13n, 100n % (max + 1n)];
};

for (const [type, bits, signed] of types) {
  test(`${type}: every operation matches BigInt semantics`, async () => {
    if (!requireKernel("BPF_PROG_TEST_RUN")) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsxdp-sem-${type}-`));
    const file = path.join(dir, `ops_${type}.xdp.ts`);
    fs.writeFileSync(file, programFor(type));
    const result = await compile({ files: [file], outDir: dir, noSkeleton: true });
    assert.equal(
      result.diagnostics.map((d) => formatDiagnostic(d)),
      [],
    );
    const program = loadProgram(result.objects[0]!.object, "compute");
    try {
      const size = bits / 8;
      const values = interesting(bits, signed);
      for (const a of values) {
        for (const b of values) {
          const packet = new Uint8Array(16 + ops.length * size + 64);
          const view = new DataView(packet.buffer);
          write(view, 0, bits, a);
          write(view, size, bits, b);
          const out = program.run(packet);
          assert.is(out.action, 2);
          const outView = new DataView(out.packet.buffer, out.packet.byteOffset);
          ops.forEach((op, i) => {
            const expected = wrap(op.eval(a, b, bits, signed), bits, signed);
            const actual = read(outView, 16 + i * size, bits, signed);
            if (actual !== expected) assert.unreachable(`${type}: ${op.source} with a=${a}, b=${b}: got ${actual}, expected ${expected}`);
          });
        }
      }
    } finally {
      program.unload();
    }
  });
}

test.run();
