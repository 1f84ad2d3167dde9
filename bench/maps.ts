// Map operations per second from Node (single get/set, batch setMany/dump) against a C
// loop making the same libbpf calls (bench/c/map_ops_user.c, built with gcc here).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BpfObject, type BpfMap } from "../runtime/index.js";
import { compile } from "../compiler/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function runMapBench(n = 100_000): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-mapbench-"));
  const source = path.join(dir, "bench.xdp.ts");
  fs.writeFileSync(source, `import { XdpContext, XDP, HashMap, u32, u64 } from "tsxdp";
export const big = new HashMap<u32, u64>({ maxEntries: 262144 });
export function noop(ctx: XdpContext): XDP { return XDP.PASS; }
`);
  const built = await compile({ files: [source], outDir: dir, noSkeleton: true });
  if (built.diagnostics.length) throw new Error(built.diagnostics.map((d) => d.message).join("\n"));
  const obj = await (await BpfObject.open(built.objects[0]!.object)).load();
  const map = obj.map("big") as BpfMap<number, bigint>;
  const rate = (count: number, fn: () => void) => {
    const start = process.hrtime.bigint();
    fn();
    return count / (Number(process.hrtime.bigint() - start) / 1e9);
  };
  const node = {
    set: rate(n, () => { for (let i = 0; i < n; i++) map.set(i, BigInt(i)); }),
    get: rate(n, () => { for (let i = 0; i < n; i++) map.get(i); }),
    setMany: 0,
    dump: 0,
  };
  // Inputs are built before timing, as the C loop fills its arrays before timing.
  const entries = Array.from({ length: n }, (_, i) => [i + n, BigInt(i)] as [number, bigint]);
  node.setMany = rate(n, () => map.setMany(entries));
  let dumped = 0;
  node.dump = rate(2 * n, () => { for (const _ of map.dump(4096)) dumped++; });
  obj.close();

  const exe = path.join(dir, "map_ops_user");
  const cc = spawnSync("gcc", ["-O2", "-o", exe, path.join(root, "bench/c/map_ops_user.c"), "-lbpf"], { encoding: "utf8" });
  if (cc.status !== 0) return [`C reference failed to build: ${cc.stderr}`];
  const c = JSON.parse(spawnSync(exe, [String(n)], { encoding: "utf8" }).stdout) as Record<string, number>;
  const fmt = (v: number) => `${(v / 1e6).toFixed(2)} M/s`;
  const lines = ["operation   Node          C             Node/C"];
  for (const op of ["set", "get", "setMany", "dump"] as const) lines.push(`${op.padEnd(11)} ${fmt(node[op]).padEnd(13)} ${fmt(c[op]!).padEnd(13)} ${(node[op] / c[op]!).toFixed(2)}`);
  lines.push(`(n = ${n}; dump read ${dumped} entries; targets: batch ≥ 0.80, single ≥ 0.50)`);
  return lines;
}
