// examples/xsk-l2fwd on a veth pair: the peer sends numbered frames to the forwarder, which
// swaps their MACs and transmits the same UMEM frames back; the peer receives them through
// its own XDP hook and checks every byte. The forwarder's XDP counter shows that its own
// transmissions bypassed its XDP program.
import { test } from "uvu";
import * as assert from "uvu/assert";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript, prepareXskExample } from "../lib/xsk.js";

const HOST_MAC = "02:00:00:00:00:01";
const PEER_MAC = "02:00:00:00:00:02";
const total = 3000;

// The peer: sends `total` frames (EtherType 0x88b5, a sequence number, a payload pattern)
// to the forwarder and receives what comes back on the same socket.
const peer = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 4096 });
  const mac = (s) => Uint8Array.from(s.split(":").map((h) => parseInt(h, 16)));
  const host = mac(${JSON.stringify(HOST_MAC)}), self = mac(${JSON.stringify(PEER_MAC)});
  const make = (seq) => {
    const f = new Uint8Array(128);
    f.set(host, 0); f.set(self, 6); f[12] = 0x88; f[13] = 0xb5;
    f[14] = seq & 0xff; f[15] = (seq >> 8) & 0xff;
    for (let i = 16; i < f.length; i++) f[i] = (seq + i) & 0xff;
    return f;
  };
  const seen = new Uint8Array(${total});
  let received = 0, duplicates = 0, wrong = 0, sent = 0;
  const stop = new AbortController();
  const sending = (async () => {
    while (sent < ${total}) {
      const batch = Array.from({ length: Math.min(50, ${total} - sent) }, (_, i) => make(sent + i));
      sent += xsk.send(batch);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  let last = Date.now();
  const idle = setInterval(() => { if (Date.now() - last > 2000) stop.abort(); }, 100);
  for await (const batch of xsk.batches({ signal: stop.signal })) {
    last = Date.now();
    for (const f of batch) {
      if (f[12] !== 0x88 || f[13] !== 0xb5) continue;
      const seq = f[14] | (f[15] << 8);
      let ok = f.length === 128 && seq < ${total};
      for (let i = 0; i < 6; i++) ok &&= f[i] === self[i] && f[6 + i] === host[i];
      for (let i = 16; ok && i < 128; i++) ok = f[i] === ((seq + i) & 0xff);
      if (!ok) { wrong++; continue; }
      if (seen[seq]) duplicates++; else { seen[seq] = 1; received++; }
    }
  }
  clearInterval(idle);
  await sending;
  const result = { done: true, sent, received, duplicates, wrong, accounting: xsk.frameAccounting() };
  xsk.close();
  console.log(JSON.stringify(result));`);

test("l2fwd: frames forwarded without a copy arrive at the peer's XDP hook byte for byte, and bypass the forwarder's own XDP program", async () => {
  if (!requireKernel("AF_XDP TX on veth")) return;
  await prepareXskExample("xsk-l2fwd/l2fwd.xdp.ts");
  const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
  try {
    topo.run("host", "ip", ["link", "set", "eth0", "address", HOST_MAC]);
    topo.run("peer", "ip", ["link", "set", "eth0", "address", PEER_MAC]);
    const forwarder = topo.start("host", process.execPath, [path.join(repoRoot, "examples/xsk-l2fwd/main.js"), "eth0", "12"]);
    await waitForLine(forwarder, (v) => v.forwarding === "eth0", 30_000);
    const remote = topo.start("peer", process.execPath, [peer]);
    const back = await waitForLine(remote, (v) => v.done === true, 60_000);
    assert.is(back.sent, total);
    assert.is(back.wrong, 0, "every frame came back with its MACs swapped and its bytes intact");
    assert.is(back.duplicates, 0);
    assert.is(back.received, total, "every frame arrived at the peer (through the peer's XDP program and its socket)");
    const done = await waitForLine(forwarder, (v) => v.done === true, 30_000);
    const forwarded = done.forwarded as number;
    assert.ok(forwarded >= total, `forwarded ${forwarded}`);
    // Had the forwarder's transmissions gone through its own XDP program, they would have
    // been counted (and steered back into its socket) too.
    const kernelDropped = (done.stats as Record<string, number>).rxDropped!;
    assert.is(
      Number(done.steered),
      forwarded + (done.dropped as number) + kernelDropped,
      "the forwarder's XDP program steered each incoming frame once and saw none it transmitted",
    );
    const accounting = done.accounting as Record<string, number>;
    assert.is(accounting.transmit, 0, "every transmission completed");
    assert.is(accounting.received, 0);
    assert.is(accounting.free! + accounting.fill!, 4096, "every frame back: none lost, none used twice");
  } finally {
    topo.remove();
  }
});

test.run();
