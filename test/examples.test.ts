// The examples end to end: each program is built with its skeleton, each Node script is
// type-checked against the skeleton and run inside test namespaces, with real traffic
// between veth pairs showing the program's effect.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { compile, formatDiagnostic } from "../compiler/index.js";
import { repoRoot } from "./lib/paths.js";
import { requireKernel } from "./lib/kernel-env.js";
import { examplePrograms } from "./lib/programs.js";
import { topology, waitForLine, pingCount, udpExchange, udpEchoServer } from "./lib/topology.js";

const examples = path.join(repoRoot, "examples");
let prepared: Promise<void> | undefined;

/** tsxdp build for every example (objects and skeletons beside the sources), then tsc. */
async function prepare(): Promise<void> {
  for (const source of examplePrograms()) {
    const result = await compile({ files: [source] });
    assert.equal(
      result.diagnostics.map((d) => formatDiagnostic(d)),
      [],
      source,
    );
  }
  const tsc = spawnSync(
    process.execPath,
    [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", path.join(examples, "tsconfig.node.json")],
    { encoding: "utf8" },
  );
  assert.is(tsc.status, 0, `the examples' scripts do not type-check against their skeletons:\n${tsc.stdout}${tsc.stderr}`);
}

const script = (name: string) => path.join(examples, name);

test("examples type-check against the generated skeletons", async () => {
  await (prepared ??= prepare());
});

test("every example's Node script drives its program through the generated skeleton", () => {
  for (const dir of fs.readdirSync(examples).filter((d) => fs.statSync(path.join(examples, d)).isDirectory())) {
    const files = fs.readdirSync(path.join(examples, dir));
    const programs = files.filter((f) => f.endsWith(".xdp.ts"));
    const scripts = files.filter((f) => f.endsWith(".ts") && !f.endsWith(".xdp.ts") && !f.endsWith(".d.ts"));
    for (const s of scripts) {
      const text = fs.readFileSync(path.join(examples, dir, s), "utf8");
      assert.not.match(text, /\bBpfObject\b/, `${dir}/${s} should use the skeleton, not BpfObject`);
      // A folder without a program (xsk-sink) uses tsxdp's own default redirect program.
      if (programs.length) assert.match(text, /from "\.\/[\w-]+\.skel\.js"/, `${dir}/${s} imports no skeleton`);
    }
  }
});

test("firewall: pings from a blocked source are dropped and counted", async () => {
  if (!requireKernel("XDP on veth")) return;
  await (prepared ??= prepare());
  const topo = topology(["host", "peer"], [{ a: "host:eth0:10.80.0.1/24", b: "peer:eth0:10.80.0.2/24" }]);
  try {
    assert.is(pingCount(topo, "peer", "10.80.0.1", 2), 2, "reachable before");
    const fw = topo.start("host", process.execPath, [script("firewall/main.js"), "eth0", "3", "10.80.0.2"]);
    await waitForLine(fw, (v) => v.attached === "eth0");
    assert.is(pingCount(topo, "peer", "10.80.0.1", 4), 0, "blocked");
    const report = await waitForLine(fw, (v) => "verdicts" in v);
    assert.ok(Number((report.drops as Record<string, string>)["10.80.0.2"]) >= 4, JSON.stringify(report));
    assert.is((report.verdicts as Record<string, string>).DROP, (report.drops as Record<string, string>)["10.80.0.2"]);
    assert.is(pingCount(topo, "peer", "10.80.0.1", 2), 2, "reachable again after the script detached");
  } finally {
    topo.remove();
  }
});

test("reflector: a UDP datagram comes back from the address it was sent to", async () => {
  if (!requireKernel("XDP_TX on veth")) return;
  await (prepared ??= prepare());
  const topo = topology(["host", "peer"], [{ a: "host:eth0:10.81.0.1/24", b: "peer:eth0:10.81.0.2/24" }], { gro: ["peer:eth0"] });
  try {
    assert.is(pingCount(topo, "peer", "10.81.0.1", 1), 1, "neighbours resolved");
    const reflector = topo.start("host", process.execPath, [script("reflector/main.js"), "eth0", "3"]);
    await waitForLine(reflector, (v) => v.attached === "eth0");
    const reply = udpExchange(topo, "peer", "10.81.0.1", 7, "hello", 40123);
    assert.equal(reply, { from: "10.81.0.1", port: 7, data: "hello" }, "reflected with addresses and ports swapped, checksums valid");
  } finally {
    topo.remove();
  }
});

test("redirect/l2fwd: two hosts with no other path talk through a DevMap", async () => {
  if (!requireKernel("XDP_REDIRECT to veth")) return;
  await (prepared ??= prepare());
  const topo = topology(
    ["a", "switch", "b"],
    [
      { a: "a:eth0:10.82.0.1/24", b: "switch:p1" },
      { a: "b:eth0:10.82.0.2/24", b: "switch:p2" },
    ],
    { gro: ["a:eth0", "b:eth0"] },
  );
  try {
    assert.is(pingCount(topo, "a", "10.82.0.2", 1), 0, "no path without the program");
    const l2 = topo.start("switch", process.execPath, [script("redirect/l2fwd.js"), "p1", "p2", "4"]);
    await waitForLine(l2, (v) => Array.isArray(v.forwarding));
    assert.is(pingCount(topo, "a", "10.82.0.2", 4), 4, "forwarded by XDP_REDIRECT");
  } finally {
    topo.remove();
  }
});

test("redirect/router: IPv4 forwarded by bpf_fib_lookup, bypassing the stack", async () => {
  if (!requireKernel("bpf_fib_lookup + XDP_REDIRECT")) return;
  await (prepared ??= prepare());
  const topo = topology(
    ["left", "router", "right"],
    [
      { a: "left:eth0:10.83.1.2/24", b: "router:r1:10.83.1.1/24" },
      { a: "right:eth0:10.83.2.2/24", b: "router:r2:10.83.2.1/24" },
    ],
    {
      gro: ["left:eth0", "right:eth0"],
      forward: ["router"],
      routes: [
        ["left", "10.83.2.0/24", "10.83.1.1"],
        ["right", "10.83.1.0/24", "10.83.2.1"],
      ],
    },
  );
  const forwardedByStack = () => Number(/Ip: .*\nIp: (.*)/.exec(topo.run("router", "cat", ["/proc/net/snmp"]))![1]!.split(" ")[5]);
  try {
    assert.is(pingCount(topo, "left", "10.83.2.2", 2), 2, "the kernel routes (and resolves neighbours)");
    const router = topo.start("router", process.execPath, [script("redirect/router.js"), "5", "r1", "r2"]);
    await waitForLine(router, (v) => Array.isArray(v.routing));
    const before = forwardedByStack();
    assert.is(pingCount(topo, "left", "10.83.2.2", 10), 10, "still reachable");
    const byStack = forwardedByStack() - before;
    assert.ok(byStack < 4, `the stack forwarded ${byStack} of 20 packets: XDP should have forwarded them`);
  } finally {
    topo.remove();
  }
});

/** A TCP request/response from a namespace: connect, send, read the reply until the server closes. */
function tcpExchange(topo: ReturnType<typeof topology>, role: string, to: string, port: number, payload: string): string | undefined {
  const script = `
    const socket = require("net").connect(${port}, ${JSON.stringify(to)});
    let data = "";
    const timer = setTimeout(() => { console.log(JSON.stringify({ timeout: true, data })); process.exit(0); }, 4000);
    socket.on("connect", () => socket.end(${JSON.stringify(payload)}));
    socket.on("data", (d) => (data += d));
    socket.on("close", () => { clearTimeout(timer); console.log(JSON.stringify({ data })); });
    socket.on("error", (e) => { clearTimeout(timer); console.log(JSON.stringify({ error: e.code })); });`;
  const r = spawnSync("ip", ["netns", "exec", topo.ns[role]!, process.execPath, "-e", script], { encoding: "utf8", timeout: 10_000 });
  const value = JSON.parse(r.stdout.trim().split("\n").pop() || "{}") as { data?: string; timeout?: boolean };
  return value.timeout ? undefined : value.data;
}

test("nat: UDP and TCP exchanges through dnat/snat, forwarded in XDP both ways, checksums valid", async () => {
  if (!requireKernel("XDP on veth + bpf_fib_lookup + XDP_REDIRECT")) return;
  await (prepared ??= prepare());
  const topo = topology(
    ["client", "router", "server"],
    [
      { a: "client:eth0:10.84.1.2/24", b: "router:pub:10.84.1.1/24" },
      { a: "server:eth0:10.84.2.2/24", b: "router:priv:10.84.2.1/24" },
    ],
    // The public endpoint is a service address routed to the router (not one of its own:
    // the kernel would drop replies whose rewritten source is a local address). veth needs
    // GRO on the receiving ends for XDP_REDIRECTed frames; tx checksum offload is off, so
    // the receiving stacks verify full checksums.
    {
      gro: ["client:eth0", "server:eth0"],
      forward: ["router"],
      routes: [
        ["client", "10.84.9.0/24", "10.84.1.1"],
        ["server", "10.84.1.0/24", "10.84.2.1"],
      ],
    },
  );
  const forwardedByStack = () => Number(/Ip: .*\nIp: (.*)/.exec(topo.run("router", "cat", ["/proc/net/snmp"]))![1]!.split(" ")[5]);
  const checksumErrors = (role: string) => {
    const snmp = topo.run(role, "cat", ["/proc/net/snmp"]);
    const udp = /Udp: .*\nUdp: (.*)/.exec(snmp)![1]!.split(" ");
    const tcp = /Tcp: .*\nTcp: (.*)/.exec(snmp)![1]!.split(" ");
    return { udpInCsumErrors: Number(udp[6]), tcpInCsumErrors: Number(tcp[14]) };
  };
  try {
    const udpServer = udpEchoServer(topo, "server", 6000);
    await waitForLine(udpServer, (v) => v.listening === 6000);
    const tcpServer = topo.start("server", process.execPath, [
      "-e",
      `
      const server = require("net").createServer((c) => { let d = ""; c.on("data", (x) => (d += x)); c.on("end", () => c.end("echo:" + d)); });
      server.listen(6001, () => console.log(JSON.stringify({ listening: 6001 })));
      setTimeout(() => process.exit(0), 60000);`,
    ]);
    await waitForLine(tcpServer, (v) => v.listening === 6001);
    assert.is(udpExchange(topo, "client", "10.84.9.10", 5000, "ping"), undefined, "nothing answers at the public endpoint without NAT");
    // Neighbour entries on the router, so the FIB resolves next hops from the first packet.
    assert.is(pingCount(topo, "client", "10.84.1.1", 1), 1);
    assert.is(pingCount(topo, "server", "10.84.2.1", 1), 1);

    const nat = topo.start("router", process.execPath, [
      script("nat/main.js"),
      "pub",
      "priv",
      "8",
      "udp:10.84.9.10:5000=10.84.2.2:6000",
      "tcp:10.84.9.10:5001=10.84.2.2:6001",
    ]);
    await waitForLine(nat, (v) => Array.isArray(v.nat));
    const before = forwardedByStack();
    const reply = udpExchange(topo, "client", "10.84.9.10", 5000, "ping", 41000);
    assert.equal(reply, { from: "10.84.9.10", port: 5000, data: "echo:ping" }, "the UDP reply comes from the public endpoint");
    assert.is(
      tcpExchange(topo, "client", "10.84.9.10", 5001, "hello over tcp"),
      "echo:hello over tcp",
      "a TCP connection through the NAT: handshake, data, close",
    );
    const byStack = forwardedByStack() - before;
    assert.ok(byStack <= 2, `the router's stack forwarded ${byStack} packets: dnat/snat should have forwarded them in XDP`);
    assert.equal(checksumErrors("server"), { udpInCsumErrors: 0, tcpInCsumErrors: 0 }, "the server's stack found no bad checksums");
    assert.equal(checksumErrors("client"), { udpInCsumErrors: 0, tcpInCsumErrors: 0 }, "the client's stack found no bad checksums");
  } finally {
    topo.remove();
  }
});

test("conntrack: flows seen on an interface are listed from Node", async () => {
  if (!requireKernel("XDP on veth")) return;
  await (prepared ??= prepare());
  const topo = topology(["host", "peer"], [{ a: "host:eth0:10.85.0.1/24", b: "peer:eth0:10.85.0.2/24" }]);
  try {
    const server = udpEchoServer(topo, "host", 7000);
    await waitForLine(server, (v) => v.listening === 7000);
    const ct = topo.start("host", process.execPath, [script("conntrack/main.js"), "eth0", "3"]);
    await waitForLine(ct, (v) => v.attached === "eth0");
    for (let i = 0; i < 3; i++) assert.ok(udpExchange(topo, "peer", "10.85.0.1", 7000, `m${i}`, 42000 + i));
    const report = await waitForLine(ct, (v) => Array.isArray(v.flows));
    const flows = report.flows as { flow: string; packets: number; state: string }[];
    for (let i = 0; i < 3; i++) {
      const f = flows.find((x) => x.flow === `udp 10.85.0.2:${42000 + i} -> 10.85.0.1:7000`);
      assert.ok(f && f.packets === 1, JSON.stringify(flows));
    }
  } finally {
    topo.remove();
  }
});

test("flow-log: typed RingBuf records of real UDP traffic, filtered by a struct config", async () => {
  if (!requireKernel("XDP on veth + BPF ring buffers")) return;
  await (prepared ??= prepare());
  const topo = topology(["host", "peer"], [{ a: "host:eth0:10.86.0.1/24", b: "peer:eth0:10.86.0.2/24" }]);
  try {
    const server = udpEchoServer(topo, "host", 7100);
    await waitForLine(server, (v) => v.listening === 7100);
    assert.is(pingCount(topo, "peer", "10.86.0.1", 1), 1, "neighbours resolved");
    const log = topo.start("host", process.execPath, [script("flow-log/main.js"), "eth0", "3", "7100"]);
    const attached = await waitForLine(log, (v) => v.attached === "eth0");
    assert.equal(attached.filter, { port: 7100, drop: 0 }, "the config reads back in host order");
    // Traffic to another port is filtered out by the program; only 7100 is logged.
    udpExchange(topo, "peer", "10.86.0.1", 7199, "ignored", 43999);
    for (let i = 0; i < 3; i++)
      assert.ok(udpExchange(topo, "peer", "10.86.0.1", 7100, `m${i}xx`, 43000 + i), "echoed: logging passes the packets on");
    const lines: Record<string, unknown>[] = [];
    const done = await waitForLine(log, (v) => {
      if (v.event) lines.push(v.event as Record<string, unknown>);
      return "done" in v;
    });
    assert.is(done.done, 3);
    assert.is(done.lost, "0");
    const events = lines.map(({ at, ...rest }) => {
      assert.ok(BigInt(at as string) > 0n, "arrival time from ktimeGetNs");
      return rest;
    });
    // 14 (Ethernet) + 20 (IPv4) + 8 (UDP) + 4 bytes of payload.
    assert.equal(
      events,
      [0, 1, 2].map((i) => ({ proto: "udp", from: `10.86.0.2:${43000 + i}`, to: "10.86.0.1:7100", ttl: 64, len: 46 })),
    );
  } finally {
    topo.remove();
  }
});

test.run();
