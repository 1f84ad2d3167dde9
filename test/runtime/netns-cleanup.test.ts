// The namespace helpers (test/lib/netns.ts, test/lib/topology.ts) remove what they created
// when the test process is ended by SIGTERM (a CI timeout) or SIGINT (Ctrl-C), or exits
// without removing it, and the process still ends as it would have. A child node process
// creates a veth namespace and a two-namespace topology, prints their names and is then
// ended; the parent reads `ip netns list` afterwards.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { requireKernel } from "../lib/kernel-env.js";
import { waitForLine } from "../lib/topology.js";

const netnsUrl = new URL("../lib/netns.js", import.meta.url).href;
const topologyUrl = new URL("../lib/topology.js", import.meta.url).href;

/** A child that creates a namespace and a topology (with a process started in it), prints their names, then runs `then`. */
function startChild(then: string): ChildProcess {
  const script = `
    import { createVethNamespace } from ${JSON.stringify(netnsUrl)};
    import { topology } from ${JSON.stringify(topologyUrl)};
    const env = createVethNamespace("tsxdp-cleanup");
    const topo = topology(["left", "right"], [{ a: "left:l0", b: "right:r0" }]);
    const sleeper = topo.start("left", "sleep", ["60"]);
    console.log(JSON.stringify({ names: [env.ns, ...Object.values(topo.ns)], sleeper: sleeper.pid }));
    ${then}`;
  return spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
}

function namespaces(): string[] {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .map((line) => line.split(" ")[0]!)
    .filter(Boolean);
}

/** Whether a process runs (a zombie waiting for its new parent to reap it does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function exited(child: ChildProcess, timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the child did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Runs a child to its end and returns what it created, what is left of it, and how it ended. */
async function run(then: string, signal?: NodeJS.Signals) {
  const child = startChild(then);
  let names: string[] = [];
  let sleeper = 0;
  try {
    const line = await waitForLine(child, (value) => Array.isArray(value.names));
    names = line.names as string[];
    sleeper = line.sleeper as number;
    const before = namespaces();
    if (signal) child.kill(signal);
    const end = await exited(child);
    // The sleeper is killed with SIGKILL by the cleanup; give init a moment to reap it.
    for (let i = 0; i < 20 && running(sleeper); i++) await new Promise((r) => setTimeout(r, 100));
    return { names, before, left: namespaces().filter((n) => names.includes(n)), sleeperRunning: running(sleeper), end };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    // Without the cleanup (the failure this test exists for), do not leave them behind either.
    if (sleeper && running(sleeper)) process.kill(sleeper, "SIGKILL");
    for (const n of names) spawnSync("ip", ["netns", "del", n], { stdio: "ignore" });
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal}: the child's namespaces are removed and it ends by ${signal}`, async () => {
    if (!requireKernel("network namespaces and veth")) return;
    const r = await run("setInterval(() => {}, 1000);", signal);
    assert.is(r.names.length, 3);
    for (const n of r.names) assert.ok(r.before.includes(n), `${n} existed before the signal`);
    assert.equal(r.left, [], "namespaces left behind");
    assert.not.ok(r.sleeperRunning, "the process started in the topology still runs");
    assert.equal(r.end, { code: null, signal });
  });
}

test("exit without remove(): the namespaces are removed and the exit code kept", async () => {
  if (!requireKernel("network namespaces and veth")) return;
  const r = await run("process.exitCode = 3; setTimeout(() => process.exit(), 10);");
  assert.equal(r.left, [], "namespaces left behind");
  assert.not.ok(r.sleeperRunning);
  assert.equal(r.end, { code: 3, signal: null });
});

test("a program with its own SIGTERM listener decides how it ends; the namespaces are removed", async () => {
  if (!requireKernel("network namespaces and veth")) return;
  // Registered after the helpers' listener: the cleanup runs first and must not re-raise
  // the signal, since the program's listener means the signal does not end it by default.
  const r = await run(`process.on("SIGTERM", () => setTimeout(() => process.exit(7), 200)); setInterval(() => {}, 1000);`, "SIGTERM");
  assert.equal(r.left, [], "namespaces left behind");
  assert.equal(r.end, { code: 7, signal: null });
});

test.run();
