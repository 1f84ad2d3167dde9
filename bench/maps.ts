// Map operations per second from Node against a C loop making the same libbpf calls in the
// same order (bench/c/map_ops_user.c, built with gcc here). Both sides load the same object,
// so they work on identical maps (u32 -> u64 hash, same max entries, flags and BTF), and both
// do the same short warm-up first. The sequence ends with an empty map, so each side runs it
// `rounds` times and keeps its best round per row (other jobs on a shared machine then
// disturb both sides alike); the C loop runs before and after the Node side and the faster
// of its two runs is the reference (what noise is left counts against Node, never for it).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BpfObject, type BpfMap } from "../runtime/index.js";
import { compile } from "../compiler/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const operations = ["set", "get", "setMany", "dump", "getMany", "deleteMany"] as const;
type Rates = Record<(typeof operations)[number], number>;
const warmup = 1000;

export async function runMapBench(n = 100_000, rounds = 5): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-mapbench-"));
  const source = path.join(dir, "bench.xdp.ts");
  fs.writeFileSync(
    source,
    `import { XdpContext, XDP, HashMap, u32, u64 } from "tsxdp";
export const big = new HashMap<u32, u64>({ maxEntries: 262144 });
export function noop(ctx: XdpContext): XDP { return XDP.PASS; }
`,
  );
  const built = await compile({ files: [source], outDir: dir, noSkeleton: true });
  if (built.diagnostics.length) throw new Error(built.diagnostics.map((d) => d.message).join("\n"));
  const objectFile = built.objects[0]!.object;

  const exe = path.join(dir, "map_ops_user");
  const cc = spawnSync("gcc", ["-O2", "-o", exe, path.join(root, "bench/c/map_ops_user.c"), "-lbpf"], { encoding: "utf8" });
  if (cc.status !== 0) return [`C reference failed to build: ${cc.stderr}`];
  const runC = () => {
    const run = spawnSync(exe, [String(n), objectFile, "big", String(rounds)], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`C reference failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as Rates & { dumped: number; found: number; deleted: number };
  };

  const before = runC();
  const node = await runNode(objectFile, n, rounds);
  const after = runC();
  const c = Object.fromEntries(operations.map((op) => [op, Math.max(before[op], after[op])])) as Rates;

  const fmt = (v: number) => `${(v / 1e6).toFixed(2)} M/s`;
  const lines = ["operation   Node          C             Node/C"];
  for (const op of operations)
    lines.push(`${op.padEnd(11)} ${fmt(node.rates[op]).padEnd(13)} ${fmt(c[op]).padEnd(13)} ${(node.rates[op] / c[op]).toFixed(2)}`);
  lines.push(
    `(n = ${n}; dump read ${node.dumped} entries (C ${before.dumped}), getMany found ${node.found} (C ${before.found}), deleteMany removed ${node.deleted} (C ${before.deleted}); best of ${rounds} rounds, C: faster of two runs; targets: batch ≥ 0.80, single ≥ 0.50)`,
  );
  return lines;
}

async function runNode(
  objectFile: string,
  n: number,
  rounds: number,
): Promise<{ rates: Rates; dumped: number; found: number; deleted: number }> {
  await using obj = await (await BpfObject.open(objectFile)).load();
  const map = obj.map("big") as BpfMap<number, bigint>;
  const rate = (count: number, fn: () => void) => {
    const start = process.hrtime.bigint();
    fn();
    return count / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  // The same warm-up as the C loop: keys outside the measured range, removed again.
  for (let i = 0; i < warmup; i++) {
    map.set(4 * n + i, BigInt(i));
    map.get(4 * n + i);
    map.delete(4 * n + i);
  }
  // Inputs of the batch rows are built before timing, as the C loop fills its arrays first.
  const entries = Array.from({ length: n }, (_, i) => [i + n, BigInt(i)] as [number, bigint]);
  const lookupKeys = Array.from({ length: n }, (_, i) => i);
  const deleteKeys = Array.from({ length: 2 * n }, (_, i) => i);
  const best = Object.fromEntries(operations.map((op) => [op, 0])) as Rates;
  const keep = (op: keyof Rates, r: number) => {
    best[op] = Math.max(best[op], r);
  };
  let dumped = 0,
    found = 0,
    deleted = 0;
  for (let round = 0; round < rounds; round++) {
    keep(
      "set",
      rate(n, () => {
        for (let i = 0; i < n; i++) map.set(i, BigInt(i));
      }),
    );
    keep(
      "get",
      rate(n, () => {
        for (let i = 0; i < n; i++) map.get(i);
      }),
    );
    keep(
      "setMany",
      rate(n, () => map.setMany(entries)),
    );
    dumped = 0;
    keep(
      "dump",
      rate(2 * n, () => {
        for (const _ of map.dump(4096)) dumped++;
      }),
    );
    found = 0;
    keep(
      "getMany",
      rate(n, () => {
        for (const v of map.getMany(lookupKeys)) if (v !== undefined) found++;
      }),
    );
    keep(
      "deleteMany",
      rate(2 * n, () => {
        deleted = map.deleteMany(deleteKeys);
      }),
    );
  }
  return { rates: best, dumped, found, deleted };
}
