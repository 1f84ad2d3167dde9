// An interface deleted under a receiving socket: the kernel unbinds the socket (recvfrom
// then fails with ENXIO), and the iterator must end with an error naming the cause instead
// of waiting forever.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { requireKernel } from "../lib/kernel-env.js";
import { topology, waitForLine } from "../lib/topology.js";
import { childScript } from "../lib/xsk.js";

const receiver = childScript(`
  const xsk = await XskSocket.open({ ifname: "eth0", queue: 0, frames: 2048 });
  console.log(JSON.stringify({ ready: true }));
  const started = Date.now();
  let outcome;
  try {
    for await (const batch of xsk.batches({ signal: AbortSignal.timeout(20000) })) void batch;
    outcome = { ended: "without an error" };
  } catch (error) {
    outcome = { code: error.code, message: error.message };
  }
  outcome.afterMs = Date.now() - started;
  outcome.accounting = xsk.frameAccounting();
  xsk.close();
  console.log(JSON.stringify({ done: true, ...outcome }));`);

test("deleting the interface while receiving ends the iterator with ENODEV, in words", async () => {
  if (!requireKernel("AF_XDP on veth")) return;
  const topo = topology(["host", "peer"], [{ a: "host:eth0", b: "peer:eth0" }]);
  try {
    const child = topo.start("host", process.execPath, [receiver]);
    await waitForLine(child, (v) => v.ready === true, 20_000);
    const done = waitForLine(child, (v) => v.done === true, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the iterator is waiting now
    topo.run("host", "ip", ["link", "del", "eth0"]);
    const r = await done;
    assert.is(r.code, "ENODEV", JSON.stringify(r));
    assert.match(
      r.message as string,
      /receive on eth0 queue 0: the interface was deleted \(ENODEV\); the kernel unbound the AF_XDP socket \((ENXIO|ENETDOWN)\)/,
    );
    assert.ok((r.afterMs as number) < 15_000, "it ended well before the 20 s signal");
    const a = r.accounting as Record<string, number>;
    assert.is(a.free! + a.fill! + a.received! + a.transmit!, 2048, "the frames still add up");
  } finally {
    topo.remove();
  }
});

test.run();
