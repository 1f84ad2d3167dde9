// Compile time against program size (issue 10 item 4): one program body (ten blocks) at
// 1×, 10× and 100× (copies in blocks of their own), a switch of 10, 100 and 1,000 cases, an else-if
// chain of 2, 20 and 200 links. `tsxdp check` and `tsxdp build` run as children; their CPU
// time (with LLVM's, from /proc) less that of the empty program is the cost of the code.
// Linear growth shows as a flat "per unit" column.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cpuMs } from "./editor.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const header = 'import { XdpContext, XDP, u8, u16, u32 } from "tsxdp";\ninterface Head { word: u32; kind: u16; }\n';

/** A block of ordinary code: a header view, arithmetic, branches. */
function body(copies: number): string {
  const unit = `  {
    const head = ctx.header<Head>(0);
    if (head === null) return XDP.PASS;
    let sum: u32 = head.word + u32(head.kind);
    if (sum > 100) sum = sum - 3;
    else sum = sum * 2;
    for (let i = 0; i < 4; i++) sum = sum ^ (sum >> 1);
    if (u8(sum) === 7) hits = hits + 1;
  }\n`;
  // One "copy" is ten blocks, so 1× already outweighs start-up noise.
  return `  let hits: u32 = 0;\n${unit.repeat(copies * 10)}  return hits === 3 ? XDP.DROP : XDP.PASS;\n`;
}
const shapes: Record<string, { sizes: number[]; make: (n: number) => string }> = {
  "body copies": { sizes: [0, 1, 10, 100], make: body },
  "switch cases": {
    sizes: [0, 10, 100, 1000],
    make: (n) =>
      `  let a: u32 = 0;\n  switch (ctx.len) {\n${Array.from({ length: n }, (_, i) => `    case ${i}: a = ${i % 7}; break;\n`).join("")}  }\n  return a === 2 ? XDP.DROP : XDP.PASS;\n`,
  },
  "else-if links": {
    sizes: [0, 2, 20, 200],
    make: (n) =>
      `  let a: u32 = 0;\n  if (ctx.len === 9999) a = 1;\n${Array.from({ length: n }, (_, i) => `  else if (ctx.len === ${i}) a = ${i % 7};\n`).join("")}  return a === 2 ? XDP.DROP : XDP.PASS;\n`,
  },
};

/** CPU ms of one `tsxdp ARGS` child (and its LLVM children). */
function childCpuMs(args: string[]): number {
  const before = cpuMs("self");
  const own = process.cpuUsage();
  const run = spawnSync(process.execPath, [path.join(root, "bin", "tsxdp.js"), ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`scaling bench: tsxdp ${args.join(" ")} failed:\n${run.stderr.slice(0, 2000)}`);
  const mine = process.cpuUsage(own);
  return cpuMs("self") - before - (mine.user + mine.system) / 1000;
}

/** The median of three runs: one is noisy on a shared machine. */
const medianCpuMs = (args: string[]) => [0, 1, 2].map(() => childCpuMs(args)).sort((a, b) => a - b)[1]!;

export async function runScalingBench(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-scaling-"));
  // `check` is the compiler's own passes; `build` adds LLVM (opt -O2 over one function).
  const lines = [
    `${"shape".padEnd(14)} ${"size".padStart(6)} ${"check CPU ms".padStart(13)} ${"per unit".padStart(9)} ${"build CPU ms".padStart(13)} ${"per unit".padStart(9)}`,
  ];
  try {
    for (const [name, shape] of Object.entries(shapes)) {
      let base = { check: 0, build: 0 };
      for (const size of shape.sizes) {
        const file = path.join(dir, `${name.replace(/\W/g, "-")}-${size}.xdp.ts`);
        fs.writeFileSync(file, `${header}export function p(ctx: XdpContext): XDP {\n${shape.make(size)}}\n`);
        const check = medianCpuMs(["check", file]);
        const build = medianCpuMs(["build", file, "-o", dir, "--no-skeleton"]);
        if (size === 0) {
          base = { check, build };
          lines.push(
            `${name.padEnd(14)} ${"empty".padStart(6)} ${check.toFixed(0).padStart(13)} ${"".padStart(9)} ${build.toFixed(0).padStart(13)}`,
          );
          continue;
        }
        const perUnit = (ms: number, baseMs: number) => (Math.max(ms - baseMs, 0) / size).toFixed(2).padStart(9);
        lines.push(
          `${name.padEnd(14)} ${`${size}`.padStart(6)} ${check.toFixed(0).padStart(13)} ${perUnit(check, base.check)} ${build.toFixed(0).padStart(13)} ${perUnit(build, base.build)}`,
        );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
