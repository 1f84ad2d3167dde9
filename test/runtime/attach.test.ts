// Attach to real interfaces: veth pairs inside network namespaces the test creates (and
// always removes). The Node process that attaches runs inside the namespace (ip netns exec).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { requireKernel } from "../lib/kernel-env.js";
import { buildFile, buildSource, clangFixture } from "../lib/build.js";
import { repoRoot } from "../lib/paths.js";

const runtimeUrl = new URL("../../runtime/index.js", import.meta.url).href;

/** Two namespaces joined by a veth pair: `a` in nsA (10.77.0.1), `b` in nsB (10.77.0.2). */
function twoHosts() {
  const id = crypto.randomBytes(3).toString("hex");
  const nsA = `tsxdp-a-${process.pid}-${id}`;
  const nsB = `tsxdp-b-${process.pid}-${id}`;
  const a = `va${id}`;
  const b = `vb${id}`;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
  ip("netns", "add", nsA);
  ip("netns", "add", nsB);
  const remove = () => {
    for (const ns of [nsA, nsB]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  };
  try {
    ip("-n", nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB);
    ip("-n", nsA, "addr", "add", "10.77.0.1/24", "dev", a);
    ip("-n", nsB, "addr", "add", "10.77.0.2/24", "dev", b);
    ip("-n", nsA, "link", "set", a, "up");
    ip("-n", nsB, "link", "set", b, "up");
  } catch (error) {
    remove();
    throw error;
  }
  return { nsA, nsB, a, b, remove };
}

function ping(ns: string, to: string, count: number): number {
  const r = spawnSync("ip", ["netns", "exec", ns, "ping", "-c", String(count), "-i", "0.2", "-W", "1", "-q", to], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
}

function nodeIn(ns: string, script: string, args: string[] = []) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-child-")), "child.mjs");
  fs.writeFileSync(file, script);
  return { file, argv: ["netns", "exec", ns, process.execPath, file, ...args] };
}

let firewall: Promise<string> | undefined;
const firewallObject = () =>
  (firewall ??= buildFile(
    path.join(repoRoot, "examples/firewall/firewall.xdp.ts"),
    fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-fw-")),
  ).then((b) => b.object));

test("firewall on a veth: blocked pings are dropped and counted, others pass", async () => {
  if (!requireKernel("XDP native attach on veth")) return;
  const object = await firewallObject();
  const hosts = twoHosts();
  try {
    // The child attaches in nsA, then signals; we ping from nsB; the child reads counters.
    const child = nodeIn(
      hosts.nsA,
      `
      import { BpfObject, XDP, ipv4 } from ${JSON.stringify(runtimeUrl)};
      import readline from "node:readline";
      const obj = await (await BpfObject.open(${JSON.stringify(object)})).load();
      const link = obj.program("firewall").attach(${JSON.stringify(hosts.a)}, { mode: "native" });
      console.log(JSON.stringify({ ready: true, kind: link.kind }));
      const lines = readline.createInterface({ input: process.stdin });
      for await (const line of lines) {
        if (line === "block") { obj.map("blocklist").set(ipv4("10.77.0.2"), 0n); console.log(JSON.stringify({ blocked: true })); }
        if (line === "report") {
          const verdicts = obj.map("verdicts");
          console.log(JSON.stringify({ drop: String(verdicts.sum(XDP.DROP)), pass: String(verdicts.sum(XDP.PASS)), drops: String(obj.map("blocklist").get(ipv4("10.77.0.2"))) }));
          link.detach();
          obj.close();
          process.exit(0);
        }
      }`,
    );
    const proc = spawn("ip", child.argv, { stdio: ["pipe", "pipe", "inherit"] });
    const replies: string[] = [];
    let wake: (() => void) | undefined;
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      replies.push(...d.split("\n").filter(Boolean));
      wake?.();
    });
    const next = async () => {
      for (let i = 0; i < 100 && replies.length === 0; i++)
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      const line = replies.shift();
      if (!line) throw new Error("child did not answer");
      return JSON.parse(line);
    };
    try {
      assert.equal(await next(), { ready: true, kind: "link" });
      const show = execFileSync("ip", ["-n", hosts.nsA, "link", "show", hosts.a], { encoding: "utf8" });
      assert.match(show, /prog\/xdp id \d+/);
      assert.is(ping(hosts.nsB, "10.77.0.1", 3), 3, "pings pass before blocking");
      proc.stdin.write("block\n");
      assert.equal(await next(), { blocked: true });
      assert.is(ping(hosts.nsB, "10.77.0.1", 4), 0, "pings are dropped once blocked");
      proc.stdin.write("report\n");
      const report = await next();
      assert.ok(Number(report.drop) >= 4, `drop counter ${report.drop}`);
      assert.is(report.drops, report.drop, "per-source counter matches the verdict counter");
      assert.ok(Number(report.pass) >= 3);
    } finally {
      proc.kill();
    }
    for (let i = 0; i < 50 && /prog\/xdp/.test(execFileSync("ip", ["-n", hosts.nsA, "link", "show", hosts.a], { encoding: "utf8" })); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.not.match(execFileSync("ip", ["-n", hosts.nsA, "link", "show", hosts.a], { encoding: "utf8" }), /prog\/xdp/, "detached");
  } finally {
    hosts.remove();
  }
});

test("SIGKILL while attached by link leaves no program behind", async () => {
  if (!requireKernel("XDP link attach")) return;
  const object = await firewallObject();
  const hosts = twoHosts();
  try {
    const child = nodeIn(
      hosts.nsA,
      `
      import { BpfObject } from ${JSON.stringify(runtimeUrl)};
      const obj = await (await BpfObject.open(${JSON.stringify(object)})).load();
      obj.program("firewall").attach(${JSON.stringify(hosts.a)});
      console.log("attached");
      setInterval(() => {}, 1000);`,
    );
    const proc = spawn("ip", child.argv, { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("child did not attach")), 10_000);
      proc.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("attached")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.match(execFileSync("ip", ["-n", hosts.nsA, "link", "show", hosts.a], { encoding: "utf8" }), /prog\/xdp/);
    // ip netns exec runs node as its child: kill the node process itself.
    const nodePid = execFileSync("pgrep", ["-f", child.file], { encoding: "utf8" }).trim().split("\n")[0]!;
    process.kill(Number(nodePid), "SIGKILL");
    await new Promise((r) => proc.on("exit", r));
    let show = "";
    for (let i = 0; i < 50; i++) {
      show = execFileSync("ip", ["-n", hosts.nsA, "link", "show", hosts.a], { encoding: "utf8" });
      if (!/prog\/xdp/.test(show)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.not.match(show, /prog\/xdp/);
  } finally {
    hosts.remove();
  }
});

test("SIGKILL during an isolated load: the crash-probe child holds none of the process's links and dies with it", async () => {
  if (!requireKernel("XDP link attach")) return;
  const object = await firewallObject();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-slow-"));
  const hosts = twoHosts();
  try {
    const slow = path.join(dir, "slow-verify.o");
    const cc = clangFixture("slow-verify.c", slow);
    assert.is(cc.status, 0, `clang-14: ${cc.error?.message ?? cc.stderr}`);
    // The child attaches by link, then loads an object that takes the verifier seconds, with
    // the crash probe (isolate, the default): libbpf loads it in a forked child first.
    const child = nodeIn(
      hosts.nsA,
      `
      import { BpfObject } from ${JSON.stringify(runtimeUrl)};
      const obj = await (await BpfObject.open(${JSON.stringify(object)})).load();
      obj.program("firewall").attach(${JSON.stringify(hosts.a)});
      console.log(JSON.stringify({ pid: process.pid }));
      await (await BpfObject.open(${JSON.stringify(slow)})).load();
      console.log(JSON.stringify({ loaded: true }));`,
    );
    const proc = spawn("ip", child.argv, { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const { pid } = (await jsonLines(proc)()) as { pid: number };
      // The probe child is forked by the main thread: wait until it is there.
      let probe = 0;
      for (let i = 0; i < 200 && !probe; i++) {
        probe = Number(fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)[0] || 0);
        if (!probe) await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(probe > 0, "the load forked its probe child");
      process.kill(pid, "SIGKILL");
      const deadline = Date.now() + 2000;
      let attached = true;
      let probeAlive = true;
      while (Date.now() < deadline && (attached || probeAlive)) {
        attached = /prog\/xdp/.test(execFileSync("ip", ["-n", hosts.nsA, "link", "show", hosts.a], { encoding: "utf8" }));
        probeAlive = isRunning(probe);
        if (attached || probeAlive) await new Promise((r) => setTimeout(r, 50));
      }
      assert.not.ok(attached, "the killed process's link is gone within 2 s (the probe child held no copy of it)");
      assert.not.ok(probeAlive, "the probe child died with its parent");
    } finally {
      proc.kill("SIGKILL");
    }
  } finally {
    hosts.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("veth: XDP_TX frames reach the peer once the peer has an XDP program (even XDP_PASS)", async () => {
  if (!requireKernel("XDP native on veth")) return;
  const { object: tx } = await buildSource(
    "txall",
    `import { XdpContext, XDP } from "tsxdp";
export function txall(ctx: XdpContext): XDP { return XDP.TX; }`,
  );
  const { object: pass } = await buildSource(
    "passall",
    `import { XdpContext, XDP } from "tsxdp";
export function passall(ctx: XdpContext): XDP { return XDP.PASS; }`,
  );
  const hosts = twoHosts();
  try {
    const bin = path.join(repoRoot, "bin", "tsxdp.js");
    const attach = (ns: string, object: string, dev: string) =>
      execFileSync("ip", ["netns", "exec", ns, process.execPath, bin, "attach", object, "--dev", dev, "--mode", "native"], {
        encoding: "utf8",
      });
    // A static neighbour, and a sends every frame back as it came (XDP_TX): b sees each echo
    // request twice, once going out and once coming back.
    const mac = execFileSync("ip", ["netns", "exec", hosts.nsA, "cat", `/sys/class/net/${hosts.a}/address`], { encoding: "utf8" }).trim();
    execFileSync("ip", ["-n", hosts.nsB, "neigh", "add", "10.77.0.1", "lladdr", mac, "dev", hosts.b]);
    attach(hosts.nsA, tx, hosts.a);
    attach(hosts.nsB, pass, hosts.b);
    const capture = spawn("ip", ["netns", "exec", hosts.nsB, "timeout", "15", "tcpdump", "-i", hosts.b, "-n", "-l", "-c", "40", "icmp"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let seen = "";
    capture.stdout.setEncoding("utf8").on("data", (d: string) => (seen += d));
    await new Promise<void>((resolve) => capture.stderr.once("data", () => resolve())); // "listening on …"
    assert.is(ping(hosts.nsB, "10.77.0.1", 20), 0, "no replies: a sends the requests back");
    await new Promise((resolve) => capture.on("exit", resolve));
    assert.is(seen.match(/ICMP echo request/g)?.length ?? 0, 40, `b saw its 20 requests and the 20 a sent back:\n${seen}`);
  } finally {
    hosts.remove();
  }
});

/** Whether a process exists and is not a zombie. */
function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** A child script's JSON lines, one at a time (bounded wait). */
function jsonLines(proc: ReturnType<typeof spawn>) {
  const lines: string[] = [];
  let buffer = "";
  let wake: (() => void) | undefined;
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buffer += d;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts.filter(Boolean));
    wake?.();
  });
  return async (): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 150 && lines.length === 0; i++)
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    const line = lines.shift();
    if (!line) throw new Error("the child did not answer");
    return JSON.parse(line);
  };
}

test("attach over an attached interface: EEXIST in words; replace swaps the program in the link (and through netlink)", async () => {
  if (!requireKernel("XDP link update")) return;
  const passing = await firewallObject();
  const { object: dropping } = await buildSource(
    "dropall",
    `import { XdpContext, XDP } from "tsxdp";
export function dropall(ctx: XdpContext): XDP { return XDP.DROP; }`,
  );
  const hosts = twoHosts();
  try {
    const child = nodeIn(
      hosts.nsA,
      `
      import { BpfObject, detachInterface } from ${JSON.stringify(runtimeUrl)};
      import { execFileSync } from "node:child_process";
      import readline from "node:readline";
      const dev = ${JSON.stringify(hosts.a)};
      const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
      const say = (value) => console.log(JSON.stringify(value));
      const attachedId = () => JSON.parse(execFileSync("ip", ["-j", "link", "show", "dev", dev], { encoding: "utf8" }))[0].xdp?.prog?.id ?? 0;
      const failure = (fn) => { try { fn(); return { ok: true }; } catch (e) { return { code: e.code, errno: e.errno, message: e.message }; } };
      const a = await (await BpfObject.open(${JSON.stringify(passing)})).load();
      const b = await (await BpfObject.open(${JSON.stringify(dropping)})).load();
      const A = a.program("firewall"), B = b.program("dropall");
      const ids = { a: A.info().id, b: B.info().id };

      const linkA = A.attach(dev, { mode: "native" });
      say({ step: "A", kind: linkA.kind, attached: attachedId(), ids });
      await input.next();
      say({ step: "B without replace", error: failure(() => B.attach(dev, { mode: "native" })), modeChange: failure(() => B.attach(dev, { mode: "generic", replace: true })), attached: attachedId() });
      const linkB = B.attach(dev, { mode: "native", replace: true });
      say({ step: "B with replace", kind: linkB.kind, attached: attachedId() });
      await input.next();
      linkA.detach(); // A's reference to the link goes; the link (now running B) stays with linkB
      const afterA = attachedId();
      linkB.detach();
      say({ step: "detached", afterA, afterB: attachedId() });

      const netlinkA = A.attach(dev, { via: "netlink" });
      const overNetlink = failure(() => B.attach(dev, { via: "netlink" }));
      const linkOverNetlink = failure(() => B.attach(dev));
      const replaced = B.attach(dev, { replace: true });
      say({ step: "netlink", kind: netlinkA.kind, overNetlink, linkOverNetlink, replacedKind: replaced.kind, attached: attachedId() });
      replaced.detach();
      const held = A.attach(dev); // a link: tsxdp detach --dev (detachInterface) detaches it too
      const heldId = attachedId();
      detachInterface(dev);
      say({ step: "end", heldId, attached: attachedId() });
      a.close(); b.close();
      process.exit(0);`,
    );
    const proc = spawn("ip", child.argv, { stdio: ["pipe", "pipe", "inherit"] });
    const next = jsonLines(proc);
    try {
      const first = await next();
      const ids = first.ids as { a: number; b: number };
      assert.equal(first, { step: "A", kind: "link", attached: ids.a, ids });
      assert.is(ping(hosts.nsB, "10.77.0.1", 2), 2, "A passes pings");
      proc.stdin!.write("go\n");

      const refused = await next();
      const error = refused.error as { code: string; errno: number; message: string };
      assert.is(error.code, "EEXIST");
      assert.is(error.errno, 16, "the kernel's errno (EBUSY for links) is kept");
      assert.match(
        error.message,
        new RegExp(
          `^attach 'dropall' to ${hosts.a}: a program is already attached to '${hosts.a}' \\(program id ${ids.a}, held by a BPF link\\); to replace it, pass \\{ replace: true \\} to attach\\(\\)`,
        ),
      );
      assert.is(refused.attached, ids.a, "A still attached after the refusals");
      const modeChange = refused.modeChange as { code: string; message: string };
      assert.is(modeChange.code, "EINVAL");
      assert.match(
        modeChange.message,
        /runs in native mode in BPF link \d+, and replacing keeps a link's mode; to run in generic mode, detach it first/,
      );

      assert.equal(await next(), { step: "B with replace", kind: "link", attached: ids.b });
      assert.is(ping(hosts.nsB, "10.77.0.1", 3), 0, "B drops the pings once it replaced A");
      proc.stdin!.write("go\n");

      assert.equal(await next(), { step: "detached", afterA: ids.b, afterB: 0 });
      const netlink = await next();
      assert.is(netlink.kind, "netlink");
      const overNetlink = netlink.overNetlink as { code: string; message: string };
      assert.is(overNetlink.code, "EEXIST");
      assert.match(
        overNetlink.message,
        new RegExp(
          `already attached to '${hosts.a}' \\(program id ${ids.a}, attached through netlink\\); to replace it, pass \\{ replace: true \\}`,
        ),
      );
      assert.is((netlink.linkOverNetlink as { code: string }).code, "EEXIST");
      assert.is(netlink.replacedKind, "netlink");
      assert.is(netlink.attached, ids.b, "netlink replace put B in place of A");
      assert.equal(await next(), { step: "end", heldId: ids.a, attached: 0 });
    } finally {
      proc.kill();
    }
  } finally {
    hosts.remove();
  }
});

test("attach errors name the cause", async () => {
  if (!requireKernel("XDP attach")) return;
  const object = await firewallObject();
  const { BpfObject } = await import("../../runtime/index.js");
  const obj = await (await BpfObject.open(object)).load();
  try {
    assert.throws(
      () => obj.program("firewall").attach("tsxdp-nonexistent0"),
      (e: Error & { code?: string }) => e.code === "ENODEV" && /no such network interface 'tsxdp-nonexistent0'/.test(e.message),
    );
  } finally {
    obj.close();
  }
});

test.run();
