// examples/xsk-multiqueue on a 2-queue veth pair: one Worker per queue, frames on both.
import { test } from "uvu";
import * as assert from "uvu/assert";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { waitForLine } from "../lib/topology.js";
import { prepareXskExample, twoQueuePair, sendFlows } from "../lib/xsk.js";

test("a Worker per queue: frames arrive on both queues, each once", async () => {
  if (!requireKernel("AF_XDP from worker_threads")) return;
  await prepareXskExample();
  const topo = twoQueuePair();
  try {
    const child = topo.start("host", process.execPath, [path.join(repoRoot, "examples/xsk-multiqueue/main.js"), "eth0", "2", "6"]);
    const ready = new Set<unknown>();
    await waitForLine(child, (v) => (v.ready !== undefined && ready.add(v.ready), ready.size === 2), 20_000);
    sendFlows(topo, "peer", "10.94.0.1", 400);
    const done = await waitForLine(child, (v) => v.done === true, 30_000);
    const perQueue = done.perQueue as number[];
    assert.ok(perQueue[0]! > 0 && perQueue[1]! > 0, `frames on both queues: ${perQueue}`);
    assert.ok((done.packets as number) >= 400, `all 400 datagrams (and ARP) arrived: ${done.packets}`);
    assert.not.match(topo.run("host", "ip", ["link", "show", "eth0"]), /prog\/xdp/, "the program went with the last socket");
  } finally {
    topo.remove();
  }
});

test.run();
