// AF_XDP on veth pairs in test namespaces: receive counts, the echo round trip, UMEM
// accounting after a million frames, teardown, and errors in words.
import { test } from "uvu";
import * as assert from "uvu/assert";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { waitForLine, udpExchange, udpEchoServer, type Topology } from "../lib/topology.js";
import { build } from "../lib/packets.js";
import { childScript, prepareXskExample, sendUdp, warmPair } from "../lib/xsk.js";

/** Host and peer; neighbours resolved first (once a socket takes every frame, ARP goes to it too). */
const pair = (): Topology => warmPair("10.91.0");

const sink = (seconds: number) =>
  childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 2048, mode: "auto" });
  console.log(JSON.stringify({ ready: true, mode: xsk.mode }));
  let udp = 0, frames = 0;
  // The signal ends the loop on time even when no traffic comes.
  for await (const batch of xsk.batches({ signal: AbortSignal.timeout(${seconds * 1000}) })) {
    for (const f of batch) { frames++; if (f.length >= 42 && f[23] === 17 && ((f[36] << 8) | f[37]) === 9999) udp++; }
  }
  const accounting = xsk.frameAccounting();
  const stats = xsk.stats();
  xsk.close();
  console.log(JSON.stringify({ done: true, udp, frames, accounting, stats }));`);

test("a sink receives every datagram sent at a moderate rate; frames all accounted for", async () => {
  if (!requireKernel("AF_XDP on veth")) return;
  const topo = pair();
  try {
    const child = topo.start("host", process.execPath, [sink(3)]);
    const ready = await waitForLine(child, (v) => v.ready === true);
    assert.is(ready.mode, "copy", "veth has no zero-copy: auto falls back to copy");
    sendUdp(topo, "peer", "10.91.0.1", 9999, 300);
    const done = await waitForLine(child, (v) => v.done === true, 20_000);
    assert.is(done.udp, 300, JSON.stringify(done));
    const a = done.accounting as Record<string, number>;
    assert.is(a.free! + a.fill! + a.received! + a.transmit!, 2048);
    assert.is(a.received, 0, "released batches went back to the fill ring");
    assert.not.match(topo.run("host", "ip", ["link", "show", "eth0"]), /prog\/xdp/, "closing detached the redirect program");
  } finally {
    topo.remove();
  }
});

test("echo: XDP steers one UDP port to AF_XDP, Node answers, the peer gets the reply", async () => {
  if (!requireKernel("AF_XDP TX on veth")) return;
  await prepareXskExample("xsk-echo/echo.xdp.ts");
  const topo = pair();
  try {
    const stack = udpEchoServer(topo, "host", 7008);
    await waitForLine(stack, (v) => v.listening === 7008);
    const echo = topo.start("host", process.execPath, [path.join(repoRoot, "examples/xsk-echo/main.js"), "eth0", "4", "7007"]);
    await waitForLine(echo, (v) => v.echoing === "eth0", 30_000);
    for (let i = 0; i < 3; i++) {
      assert.equal(udpExchange(topo, "peer", "10.91.0.1", 7007, `hello${i}`, 45000 + i), {
        from: "10.91.0.1",
        port: 7007,
        data: `echo:hello${i}`,
      });
    }
    assert.equal(
      udpExchange(topo, "peer", "10.91.0.1", 7008, "via-stack", 46000),
      { from: "10.91.0.1", port: 7008, data: "echo:via-stack" },
      "other ports still reach the kernel's sockets",
    );
    const done = await waitForLine(echo, (v) => v.done === true, 15_000);
    assert.ok((done.answered as number) >= 3);
  } finally {
    topo.remove();
  }
});

test("a million live frames: the UMEM accounting holds, nothing leaks", async () => {
  if (!requireKernel("AF_XDP + BPF_F_TEST_XDP_LIVE_FRAMES")) return;
  const topo = pair();
  try {
    const child = topo.start("host", process.execPath, [sink(8)]);
    await waitForLine(child, (v) => v.ready === true);
    const frame = build([
      { eth: { dst: "02:00:00:00:00:01", src: "02:00:00:00:00:02" } },
      { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" } },
      { payload: new Uint8Array(30) },
    ]);
    const generator = childScript(`
      const frame = Uint8Array.from(${JSON.stringify([...frame])});
      const r = liveFrames({ ifname: "eth0", frame, count: 1000000 });
      console.log(JSON.stringify({ sent: 1000000, durationNs: r.durationNs }));`);
    const gen = spawnSync("ip", ["netns", "exec", topo.ns.peer!, process.execPath, generator], { encoding: "utf8", timeout: 60_000 });
    assert.is(gen.status, 0, gen.stderr);
    const done = await waitForLine(child, (v) => v.done === true, 30_000);
    const stats = done.stats as Record<string, number>;
    const a = done.accounting as Record<string, number>;
    assert.ok(
      (done.frames as number) > 100_000,
      `received ${done.frames} of 1000000 (the rest dropped for lack of fill slots: rxDropped ${stats.rxDropped})`,
    );
    assert.is(a.free! + a.fill! + a.received! + a.transmit!, 2048);
    assert.is(a.received, 0);
    assert.is(a.transmit, 0);
  } finally {
    topo.remove();
  }
});

test("errors name the cause: queue out of range, busy queue, zero-copy on veth, no interface", async () => {
  if (!requireKernel("AF_XDP")) return;
  const topo = pair();
  try {
    const script = childScript(`
      const attempt = async (options) => { try { const x = await XskSocket.open(options); return { ok: true, x }; } catch (e) { return { code: e.code, message: e.message }; } };
      const out = {};
      out.queue = await attempt({ ifname: "eth0", queue: 3 });
      out.zerocopy = await attempt({ ifname: "eth0", mode: "zerocopy" });
      out.missing = await attempt({ ifname: "nope0" });
      const first = await XskSocket.open({ ifname: "eth0", queue: 0 });
      out.busy = await attempt({ ifname: "eth0", queue: 0, mode: "copy" });
      // Binding the same queue with a shared UMEM is allowed by the kernel, but the default
      // program sends a queue to one socket: refused instead of silently taking its traffic.
      out.sameQueueShared = await attempt({ ifname: "eth0", queue: 0, shareUmemWith: first });
      first.close();
      const again = await attempt({ ifname: "eth0", queue: 0 });
      out.reopened = again.ok === true;
      if (again.x) again.x.close();
      console.log(JSON.stringify(out));`);
    const r = spawnSync("ip", ["netns", "exec", topo.ns.host!, process.execPath, script], { encoding: "utf8", timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, { code?: string; message?: string }> & {
      reopened: boolean;
    };
    assert.is(out.queue!.code, "EINVAL");
    assert.match(out.queue!.message!, /eth0 has 1 receive queue/);
    assert.is(out.zerocopy!.code, "EOPNOTSUPP");
    assert.match(out.zerocopy!.message!, /zero-copy is not supported.*use mode "copy"/);
    assert.is(out.missing!.code, "ENODEV");
    assert.ok(out.busy!.code === "EBUSY" || out.busy!.code === "EEXIST", JSON.stringify(out.busy));
    assert.is(out.sameQueueShared!.code, "EBUSY", JSON.stringify(out.sameQueueShared));
    assert.match(
      out.sameQueueShared!.message!,
      /queue 0 of eth0 already has an AF_XDP socket in this process on tsxdp's default redirect program/,
    );
    assert.ok(out.reopened, "the queue is free again after close()");
  } finally {
    topo.remove();
  }
});

test("a process killed while holding a socket leaves no program on the interface, and the queue binds again", async () => {
  if (!requireKernel("AF_XDP")) return;
  const topo = pair();
  try {
    const child = topo.start("host", process.execPath, [sink(30)]);
    await waitForLine(child, (v) => v.ready === true);
    assert.match(topo.run("host", "ip", ["link", "show", "eth0"]), /prog\/xdp/);
    // `ip netns exec` execs the command, so the child's pid is the Node process's.
    assert.ok(child.pid, "the child has a pid");
    process.kill(child.pid!, "SIGKILL");
    let show = "";
    for (let i = 0; i < 50; i++) {
      show = topo.run("host", "ip", ["link", "show", "eth0"]);
      if (!/prog\/xdp/.test(show)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.not.match(show, /prog\/xdp/);
    const again = childScript(`
      const x = await XskSocket.open({ ifname: "eth0", queue: 0, mode: "copy" });
      console.log(JSON.stringify({ rebound: true, mode: x.mode }));
      x.close();`);
    const r = spawnSync("ip", ["netns", "exec", topo.ns.host!, process.execPath, again], { encoding: "utf8", timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /"rebound":true/, "the killed process's queue can be bound again");
  } finally {
    topo.remove();
  }
});

test.run();
