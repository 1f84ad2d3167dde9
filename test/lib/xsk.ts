// Helpers of the AF_XDP tests: child scripts that import the runtime, UDP senders in a
// namespace, and a veth pair with two queues per end.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import * as assert from "uvu/assert";
import { topology, type Topology } from "./topology.js";
import { repoRoot } from "./paths.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";

const runtimeUrl = new URL("../../runtime/index.js", import.meta.url).href;

export function childScript(body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-xsk-")), "child.mjs");
  fs.writeFileSync(file, `import { XskSocket, liveFrames } from ${JSON.stringify(runtimeUrl)};\n${body}`);
  return file;
}

/**
 * Host and peer on one veth pair, `subnet`.1 and `subnet`.2 (e.g. "10.91.0"), neighbours
 * resolved first: once a socket takes every frame, ARP would go to it too.
 */
export function warmPair(subnet: string): Topology {
  const topo = topology(["host", "peer"], [{ a: `host:eth0:${subnet}.1/24`, b: `peer:eth0:${subnet}.2/24` }]);
  spawnSync("ip", ["netns", "exec", topo.ns.peer!, "ping", "-c", "1", "-W", "1", `${subnet}.1`]);
  return topo;
}

/** Sends `count` datagrams "<tag><i>" to `to`:`port` from a namespace, `gapMs` apart. */
export function sendUdp(topo: Topology, role: string, to: string, port: number, count: number, tag = "m", gapMs = 2): void {
  const script = `const s = require("dgram").createSocket("udp4"); let i = 0;
    const t = setInterval(() => { s.send(${JSON.stringify(tag)} + i, ${port}, ${JSON.stringify(to)}); if (++i >= ${count}) { clearInterval(t); setTimeout(() => process.exit(0), 200); } }, ${gapMs});`;
  const r = spawnSync("ip", ["netns", "exec", topo.ns[role]!, process.execPath, "-e", script], { timeout: 60_000 });
  assert.is(r.status, 0, String(r.stderr));
}

/** A veth pair whose ends have two queues each; peer → host flows spread over both queues. */
export function twoQueuePair(): Topology {
  const topo = topology(["host", "peer"], []);
  try {
    topo.run("host", "ip", [
      "link",
      "add",
      "eth0",
      "numtxqueues",
      "2",
      "numrxqueues",
      "2",
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      topo.ns.peer!,
      "numtxqueues",
      "2",
      "numrxqueues",
      "2",
    ]);
    topo.run("host", "ip", ["addr", "add", "10.94.0.1/24", "dev", "eth0"]);
    topo.run("peer", "ip", ["addr", "add", "10.94.0.2/24", "dev", "eth0"]);
    topo.run("host", "ip", ["link", "set", "eth0", "up"]);
    topo.run("peer", "ip", ["link", "set", "eth0", "up"]);
    topo.run("host", "ethtool", ["-K", "eth0", "tx", "off"]);
    topo.run("peer", "ethtool", ["-K", "eth0", "tx", "off"]);
    spawnSync("ip", ["netns", "exec", topo.ns.peer!, "ping", "-c", "1", "-W", "1", "10.94.0.1"]);
  } catch (error) {
    topo.remove();
    throw error;
  }
  return topo;
}

/** `count` datagrams to port 9999 from 32 source ports (flows hash onto different queues). */
export function sendFlows(topo: Topology, role: string, to: string, count: number): void {
  const script = `const dgram = require("dgram"); const s = Array.from({ length: 32 }, () => dgram.createSocket("udp4")); let i = 0;
    const t = setInterval(() => { s[i % 32].send("f" + i, 9999, ${JSON.stringify(to)}); if (++i >= ${count}) { clearInterval(t); setTimeout(() => process.exit(0), 200); } }, 2);`;
  const r = spawnSync("ip", ["netns", "exec", topo.ns[role]!, process.execPath, "-e", script], { timeout: 60_000 });
  assert.is(r.status, 0, String(r.stderr));
}

/**
 * Readies an AF_XDP example to run: builds its XDP program (examples/`program`, when it has
 * one: main.js imports the skeleton beside it) and type-checks the examples' Node scripts
 * against the runtime (examples/tsconfig.xsk.json).
 */
export async function prepareXskExample(program?: string): Promise<void> {
  if (program) {
    const build = await compile({ files: [path.join(repoRoot, "examples", program)] });
    assert.equal(
      build.diagnostics.map((d) => formatDiagnostic(d)),
      [],
    );
  }
  const tsc = spawnSync(
    process.execPath,
    [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", path.join(repoRoot, "examples/tsconfig.xsk.json")],
    { encoding: "utf8" },
  );
  assert.is(tsc.status, 0, tsc.stdout);
}
