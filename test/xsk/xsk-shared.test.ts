// AF_XDP sockets sharing things: one UMEM between two interfaces (each with its own fill and
// completion rings), and tsxdp's default redirect program shared by sockets on several
// queues of one interface. Real kernel, veth pairs in namespaces made (and removed) here.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript, sendUdp, twoQueuePair, sendFlows } from "../lib/xsk.js";

// Counts UDP datagrams to port 9999 per socket, keeping their payloads, until `seconds` pass.
const collect = `
  const udp = (f) => f.length >= 42 && f[23] === 17 && ((f[36] << 8) | f[37]) === 9999 ? new TextDecoder().decode(f.subarray(42)) : undefined;
  async function collect(sockets, seconds) {
    const got = sockets.map(() => []);
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      let any = 0;
      sockets.forEach((x, i) => { const b = x.poll(); any += b.length; for (const f of b) { const p = udp(f); if (p !== undefined) got[i].push(p); } });
      sockets[0].frameAccounting();
      if (!any) await new Promise((r) => setTimeout(r, 1));
    }
    for (const x of sockets) x.recycle();
    return got;
  }`;

test("one UMEM shared by sockets on two interfaces: every frame arrives once, on its own socket", async () => {
  if (!requireKernel("AF_XDP shared UMEM")) return;
  const topo = topology(
    ["host", "peer"],
    [
      { a: "host:eth0:10.93.0.1/24", b: "peer:eth0:10.93.0.2/24" },
      { a: "host:eth1:10.93.1.1/24", b: "peer:eth1:10.93.1.2/24" },
    ],
  );
  try {
    spawnSync("ip", ["netns", "exec", topo.ns.peer!, "ping", "-c", "1", "-W", "1", "10.93.0.1"]);
    spawnSync("ip", ["netns", "exec", topo.ns.peer!, "ping", "-c", "1", "-W", "1", "10.93.1.1"]);
    const child = topo.start("host", process.execPath, [
      childScript(`${collect}
      const a = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096, mode: "auto" });
      const b = await XskSocket.open({ ifname: "eth1", queue: 0, shareUmemWith: a });
      console.log(JSON.stringify({ ready: true, start: a.frameAccounting() }));
      const [onA, onB] = await collect([a, b], 4);
      const end = a.frameAccounting();
      b.close();
      const afterB = a.frameAccounting();
      a.close();
      console.log(JSON.stringify({ done: true, onA, onB, end, afterB, statsA: a.stats(), statsB: b.stats() }));`),
    ]);
    const ready = await waitForLine(child, (v) => v.ready === true, 20_000);
    assert.equal(ready.start, { free: 0, fill: 4096, received: 0, transmit: 0 }, "each ring filled from the one UMEM");
    sendUdp(topo, "peer", "10.93.0.1", 9999, 200, "a");
    sendUdp(topo, "peer", "10.93.1.1", 9999, 200, "b");
    const done = await waitForLine(child, (v) => v.done === true, 30_000);
    const expect = (tag: string) => Array.from({ length: 200 }, (_, i) => `${tag}${i}`);
    assert.equal(
      [...(done.onA as string[])].sort(),
      expect("a").sort(),
      "eth0's socket got each of its datagrams once, and none of eth1's",
    );
    assert.equal(
      [...(done.onB as string[])].sort(),
      expect("b").sort(),
      "eth1's socket got each of its datagrams once, and none of eth0's",
    );
    assert.equal(done.end, { free: 0, fill: 4096, received: 0, transmit: 0 });
    assert.equal(done.afterB, { free: 2048, fill: 2048, received: 0, transmit: 0 }, "closing one socket gave its ring's frames back");
  } finally {
    topo.remove();
  }
});

test("sockets on two queues of one interface share one default redirect program", async () => {
  if (!requireKernel("AF_XDP multi-queue veth")) return;
  const topo = twoQueuePair();
  try {
    const child = topo.start("host", process.execPath, [
      childScript(`${collect}
      const q0 = await XskSocket.open({ ifname: "eth0", queue: 0 });
      const q1 = await XskSocket.open({ ifname: "eth0", queue: 1 });
      console.log(JSON.stringify({ ready: true }));
      const [on0, on1] = await collect([q0, q1], 3);
      q0.close();
      q1.close();
      const again = await XskSocket.open({ ifname: "eth0", queue: 0 });
      again.close();
      console.log(JSON.stringify({ done: true, on0: on0.length, on1: on1.length, all: [...on0, ...on1].sort() }));`),
    ]);
    await waitForLine(child, (v) => v.ready === true, 20_000);
    assert.match(
      topo.run("host", "ip", ["link", "show", "eth0"]),
      /prog\/xdp id \d+ name tsxdp_xsk/,
      "the second queue opened (no EBUSY): both use the one program",
    );
    sendFlows(topo, "peer", "10.94.0.1", 300);
    const done = await waitForLine(child, (v) => v.done === true, 30_000);
    assert.ok((done.on0 as number) > 0 && (done.on1 as number) > 0, `frames on both queues: ${done.on0} and ${done.on1}`);
    assert.equal(done.all, Array.from({ length: 300 }, (_, i) => `f${i}`).sort(), "every datagram once, on one of the queues");
    assert.not.match(topo.run("host", "ip", ["link", "show", "eth0"]), /prog\/xdp/, "the last close detached the program");
  } finally {
    topo.remove();
  }
});

test.run();
