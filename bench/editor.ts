// The developer loop, measured in one run:
// - editor: a real tsserver (the project's, with tsxdp/ts-plugin from its node_modules) on
//   the largest example; after a one-character edit, the time until semantic diagnostics
//   come back, warm — with the plugin, and without it (TypeScript's own share);
// - build: a one-line edit under `tsxdp build --watch` until the rebuilt object is reported,
//   and a `tsxdp build` in a new process (object + skeleton) — as the `tsxdp` command runs it,
//   from its startup snapshot, and without the snapshot — each as a ratio to clang compiling
//   the C twin (bench/c/firewall.c) in the same run.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clangArgs, median, timed } from "./programs.js";
import { TsServer, linkedProject } from "../test/lib/tsserver.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/**
 * CPU time (ms) a process and its waited-for children have used, from /proc (clock ticks of
 * 10 ms): wall times on a loaded machine mostly measure waiting, CPU times compare fairly.
 */
export function cpuMs(pid: number | "self"): number {
  const fields = fs
    .readFileSync(`/proc/${pid}/stat`, "utf8")
    .replace(/^.*\) /, "")
    .split(" ");
  // After the name: state is field 3, so utime/stime/cutime/cstime (14–17) are at 11–14 here.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
}

/** Runs a command to completion `runs` times; median wall ms and mean CPU ms (children of this process). */
function measured(command: string, args: string[], runs = 5): { wallMs: number; cpuMs: number } {
  const before = cpuMs("self");
  const ownBefore = process.cpuUsage();
  const walls = Array.from({ length: runs }, () => timed(command, args));
  const own = process.cpuUsage(ownBefore);
  return { wallMs: median(walls), cpuMs: (cpuMs("self") - before - (own.user + own.system) / 1000) / runs };
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/** An init project linked to this checkout; without the plugin, TypeScript's own share is measured. */
function benchProject(withPlugin: boolean): string {
  const dir = linkedProject(root);
  if (!withPlugin) {
    const config = path.join(dir, "tsconfig.xdp.json");
    fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace(/"plugins": \[[^\]]*\]/, `"plugins": []`));
  }
  return dir;
}

function largestExample(): string {
  const files = fs.readdirSync(path.join(root, "examples")).flatMap((d) => {
    const dir = path.join(root, "examples", d);
    return fs.statSync(dir).isDirectory()
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(".xdp.ts"))
          .map((f) => path.join(dir, f))
      : [];
  });
  return files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
}

/** Edit-to-diagnostics times (ms) for `edits` one-character edits, after `warm` rounds. */
async function editLatency(
  withPlugin: boolean,
  source: string,
  edits = 30,
  warm = 5,
): Promise<{ times: number[]; cpuPerEdit: number; tsxCodes: number }> {
  const dir = benchProject(withPlugin);
  const file = path.join(dir, "src", path.basename(source));
  fs.copyFileSync(source, file);
  const server = new TsServer(path.join(dir, "node_modules", "typescript", "lib", "tsserver.js"), dir);
  try {
    server.open(file, dir);
    let shown = 0;
    for (let i = 0; i < warm; i++) shown = (await server.semanticDiagnostics(file)).filter((d) => d.source === "tsxdp").length;
    // Appends a space to the last line and takes it away again: each edit changes the program.
    const lastLine = fs.readFileSync(file, "utf8").split("\n").length;
    const times: number[] = [];
    const cpuBefore = cpuMs(server.pid);
    for (let i = 0; i < edits; i++) {
      const start = performance.now();
      const change =
        i % 2 === 0
          ? { start: { line: lastLine, offset: 1 }, end: { line: lastLine, offset: 1 }, newText: " " }
          : { start: { line: lastLine, offset: 1 }, end: { line: lastLine, offset: 2 }, newText: "" };
      await server.edit(file, [change]);
      await server.semanticDiagnostics(file);
      times.push(performance.now() - start);
    }
    return { times, cpuPerEdit: (cpuMs(server.pid) - cpuBefore) / edits, tsxCodes: shown };
  } finally {
    server.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

/** Times (ms) from saving a one-line edit to `tsxdp build --watch` reporting the rebuild. */
async function watchRebuilds(source: string, edits = 9): Promise<{ times: number[]; cpuPerRebuild: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-bench-watch-"));
  const file = path.join(dir, path.basename(source));
  const original = fs.readFileSync(source, "utf8");
  fs.writeFileSync(file, original);
  const child = spawn(process.execPath, [path.join(root, "bin", "tsxdp.js"), "build", "--watch", file, "-o", path.join(dir, "out")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
  const waitFor = async (pattern: RegExp, from: number) => {
    const until = Date.now() + 60_000;
    while (!pattern.test(output.slice(from))) {
      if (Date.now() > until) throw new Error(`tsxdp build --watch: no ${pattern} within 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  try {
    await waitFor(/watching for changes/, 0);
    const times: number[] = [];
    const cpuBefore = cpuMs(child.pid!);
    for (let i = 0; i < edits; i++) {
      const from = output.length;
      const start = performance.now();
      fs.writeFileSync(file, original + `// edit ${i}\n`);
      await waitFor(/rebuilt .* watching for changes/, from);
      times.push(performance.now() - start);
    }
    return { times, cpuPerRebuild: (cpuMs(child.pid!) - cpuBefore) / edits };
  } finally {
    child.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `tsxdp build` as a user's command runs it (bin/tsxdp), once the first build has left the
 * startup snapshot behind: in a cache folder of its own, so the first build makes it here.
 */
async function snapshotBuild(file: string, out: string): Promise<{ wallMs: number; cpuMs: number }> {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-bench-snapshot-"));
  const saved = process.env["TSXDP_CACHE_DIR"];
  process.env["TSXDP_CACHE_DIR"] = cache;
  try {
    const command = path.join(root, "bin", "tsxdp");
    timed(command, ["build", file, "-o", out]);
    const until = Date.now() + 120_000;
    while (!fs.readdirSync(cache).some((f) => f.endsWith(".blob")) || fs.readdirSync(cache).some((f) => f.endsWith(".lock"))) {
      if (Date.now() > until) throw new Error(`no startup snapshot in ${cache} within 120 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return measured(command, ["build", file, "-o", out]);
  } finally {
    if (saved === undefined) delete process.env["TSXDP_CACHE_DIR"];
    else process.env["TSXDP_CACHE_DIR"] = saved;
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

export async function runEditorBench(): Promise<string[]> {
  const lines: string[] = [];
  const largest = largestExample();
  const plugin = await editLatency(true, largest);
  const plain = await editLatency(false, largest);
  const name = path.relative(root, largest);
  lines.push(
    `edit → diagnostics, ${name} (${plugin.times.length} edits, warm): with tsxdp/ts-plugin median ${median(plugin.times).toFixed(1)} ms wall, p90 ${percentile(plugin.times, 0.9).toFixed(1)} ms, ${plugin.cpuPerEdit.toFixed(0)} ms tsserver CPU per edit (goal ≤ 100 ms); TypeScript alone median ${median(plain.times).toFixed(1)} ms wall, ${plain.cpuPerEdit.toFixed(0)} ms CPU`,
  );

  const firewall = path.join(root, "examples", "firewall", "firewall.xdp.ts");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-bench-cold-"));
  try {
    const clang = measured("clang-14", clangArgs(path.join(root, "bench", "c", "firewall.c"), path.join(out, "firewall.c.o")));
    const cold = measured(process.execPath, [path.join(root, "bin", "tsxdp.js"), "build", firewall, "-o", out]);
    const fromSnapshot = await snapshotBuild(firewall, out);
    const rebuilds = await watchRebuilds(firewall);
    const rebuildMs = median(rebuilds.times);
    const ratios = (wall: number, cpu: number) =>
      `${(wall / clang.wallMs).toFixed(2)}× clang wall, ${(cpu / Math.max(clang.cpuMs, 1)).toFixed(2)}× CPU`;
    lines.push(
      `clang-14 -O2 -target bpf bench/c/firewall.c: median ${clang.wallMs.toFixed(0)} ms wall, ${clang.cpuMs.toFixed(0)} ms CPU (5 runs)`,
    );
    lines.push(
      `tsxdp build --watch, one-line edit → rebuilt object + skeleton: median ${rebuildMs.toFixed(0)} ms wall, ${rebuilds.cpuPerRebuild.toFixed(0)} ms CPU (${rebuilds.times.length} edits) = ${ratios(rebuildMs, rebuilds.cpuPerRebuild)} (goal ≤ 2×)`,
    );
    lines.push(
      `tsxdp build (the tsxdp command, a new process started from its startup snapshot, object + skeleton): median ${fromSnapshot.wallMs.toFixed(0)} ms wall, ${fromSnapshot.cpuMs.toFixed(0)} ms CPU (5 runs) = ${ratios(fromSnapshot.wallMs, fromSnapshot.cpuMs)} (goal ≤ 6×)`,
    );
    lines.push(
      `tsxdp build (node bin/tsxdp.js, a new process without the snapshot, TypeScript from the V8 code cache): median ${cold.wallMs.toFixed(0)} ms wall, ${cold.cpuMs.toFixed(0)} ms CPU (5 runs) = ${ratios(cold.wallMs, cold.cpuMs)}`,
    );
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return lines;
}
