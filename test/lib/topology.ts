// Small test networks: namespaces joined by veth pairs, unique per run, always removed, also
// when the process is ended by a signal (process-end.ts), with the processes started in them.
// Nothing here touches the host's own interfaces.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import { removeAtProcessEnd } from "./process-end.js";

export interface Topology {
  /** Namespace name by role. */
  readonly ns: Record<string, string>;
  /** Runs a command in a namespace; returns stdout. */
  run(role: string, command: string, args: string[]): string;
  /** Starts a long-running command in a namespace. */
  start(role: string, command: string, args: string[]): ChildProcess;
  remove(): void;
}

export interface Link {
  /** role:ifname:address/prefix (address optional) for each end. */
  readonly a: string;
  readonly b: string;
}

/**
 * Builds namespaces for `roles` and veth links between them, e.g.
 *   build(["client", "router"], [{ a: "client:c0:10.1.0.2/24", b: "router:r0:10.1.0.1/24" }])
 * Interface names get a per-run suffix; `name(role, base)` is not needed because the
 * names are only used inside their own namespace.
 */
export function topology(
  roles: string[],
  links: Link[],
  options: { gro?: string[]; forward?: string[]; routes?: [string, string, string][] } = {},
): Topology {
  const id = crypto.randomBytes(3).toString("hex");
  const ns = Object.fromEntries(roles.map((r) => [r, `tsxdp-${r}-${process.pid}-${id}`]));
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
  const children: ChildProcess[] = [];
  const removeAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    for (const n of Object.values(ns)) spawnSync("ip", ["netns", "del", n], { stdio: "ignore" });
  };
  // Registered before anything exists: a signal that arrives while the network is being
  // made waits for this synchronous code and then finds it registered.
  const forget = removeAtProcessEnd(removeAll);
  const topo: Topology = {
    ns,
    run: (role, command, args) =>
      execFileSync("ip", ["netns", "exec", ns[role]!, command, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 30_000,
      }),
    start: (role, command, args) => {
      const child = spawn("ip", ["netns", "exec", ns[role]!, command, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      children.push(child);
      return child;
    },
    remove: () => {
      removeAll();
      forget();
    },
  };
  try {
    for (const n of Object.values(ns)) ip("netns", "add", n);
    for (const n of Object.values(ns)) ip("-n", n, "link", "set", "lo", "up");
    for (const link of links) {
      const [ra, ia, aa] = link.a.split(":");
      const [rb, ib, ab] = link.b.split(":");
      ip("-n", ns[ra!]!, "link", "add", ia!, "type", "veth", "peer", "name", ib!, "netns", ns[rb!]!);
      if (aa) ip("-n", ns[ra!]!, "addr", "add", aa, "dev", ia!);
      if (ab) ip("-n", ns[rb!]!, "addr", "add", ab, "dev", ib!);
      ip("-n", ns[ra!]!, "link", "set", ia!, "up");
      ip("-n", ns[rb!]!, "link", "set", ib!, "up");
      // veth offloads checksums: a locally sent UDP/TCP packet carries only the partial
      // (pseudo-header) sum. Once XDP turns it into a frame, that metadata is gone and the
      // receiver drops it, so test hosts compute full checksums, as a real wire would carry.
      topo.run(ra!, "ethtool", ["-K", ia!, "tx", "off"]);
      topo.run(rb!, "ethtool", ["-K", ib!, "tx", "off"]);
    }
    // veth drops XDP_TX/REDIRECT frames unless the receiving end has an XDP program, or GRO
    // on while the sender's checksum offload is off (set above): on 6.18 GRO alone did not do.
    for (const spec of options.gro ?? []) {
      const [role, dev] = spec.split(":");
      topo.run(role!, "ethtool", ["-K", dev!, "gro", "on"]);
    }
    for (const role of options.forward ?? []) topo.run(role, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    for (const [role, to, via] of options.routes ?? []) ip("-n", ns[role]!, "route", "add", to, "via", via);
  } catch (error) {
    topo.remove();
    throw error;
  }
  return topo;
}

/** Reads JSON lines from a child's stdout until `predicate` matches one (bounded in time). */
export function waitForLine(
  child: ChildProcess,
  predicate: (value: Record<string, unknown>) => boolean,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(
      () => reject(new Error(`no matching line within ${timeoutMs} ms; stdout: ${buffer} stderr: ${stderr}`)),
      timeoutMs,
    );
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      buffer += d.toString();
      for (const line of buffer.split("\n")) {
        if (!line.trim().startsWith("{")) continue;
        try {
          const value = JSON.parse(line) as Record<string, unknown>;
          if (predicate(value)) {
            clearTimeout(timer);
            resolve(value);
            return;
          }
        } catch {
          // a partial line; wait for more
        }
      }
    });
    child.on("exit", (code) => {
      setTimeout(() => {
        clearTimeout(timer);
        reject(new Error(`child exited (${code}) before the line; stdout: ${buffer} stderr: ${stderr}`));
      }, 200);
    });
  });
}

export function pingCount(topo: Topology, role: string, to: string, count: number): number {
  const r = spawnSync("ip", ["netns", "exec", topo.ns[role]!, "ping", "-c", String(count), "-i", "0.2", "-W", "1", "-q", to], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
}

/** A UDP request/response from a namespace with Node's dgram; returns the reply's source and bytes. */
export function udpExchange(
  topo: Topology,
  role: string,
  to: string,
  port: number,
  payload: string,
  bindPort = 0,
): { from: string; port: number; data: string } | undefined {
  const script = `
    const s = require("dgram").createSocket("udp4");
    const timer = setTimeout(() => { console.log("{}"); process.exit(0); }, 3000);
    s.on("message", (m, r) => { console.log(JSON.stringify({ from: r.address, port: r.port, data: m.toString() })); clearTimeout(timer); s.close(); });
    s.bind(${bindPort}, () => s.send(${JSON.stringify(payload)}, ${port}, ${JSON.stringify(to)}));`;
  const r = spawnSync("ip", ["netns", "exec", topo.ns[role]!, process.execPath, "-e", script], { encoding: "utf8", timeout: 10_000 });
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  const value = JSON.parse(line) as { from?: string; port: number; data: string };
  return value.from ? (value as { from: string; port: number; data: string }) : undefined;
}

/** A UDP echo server in a namespace (replies with "echo:" + the message). */
export function udpEchoServer(topo: Topology, role: string, port: number): ChildProcess {
  const script = `
    const s = require("dgram").createSocket("udp4");
    s.on("message", (m, r) => s.send("echo:" + m.toString(), r.port, r.address));
    s.bind(${port}, () => console.log(JSON.stringify({ listening: ${port} })));
    setTimeout(() => process.exit(0), 60000);`;
  return topo.start(role, process.execPath, ["-e", script]);
}
