// Test network namespaces with a veth pair inside, unique per run and always removed, also
// when the process is ended by a signal (process-end.ts). Tests never touch the host's
// interfaces: everything happens inside the namespace.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { removeAtProcessEnd } from "./process-end.js";

export interface VethNamespace {
  readonly ns: string;
  readonly a: string;
  readonly b: string;
  /** Runs a command inside the namespace; returns stdout. */
  exec(command: string, args: string[]): string;
  remove(): void;
}

/** `queues`: receive/transmit queues of each veth end (default: the kernel's, 1). */
export function createVethNamespace(prefix = "tsxdp", options: { queues?: number } = {}): VethNamespace {
  const id = crypto.randomBytes(3).toString("hex");
  const ns = `${prefix}-${process.pid}-${id}`;
  const a = `va${id}`;
  const b = `vb${id}`;
  const removeQuietly = () => void spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  // Registered before the namespace exists: a signal that arrives while it is being made
  // waits for this synchronous code and then finds it registered.
  const forget = removeAtProcessEnd(removeQuietly);
  const env: VethNamespace = {
    ns,
    a,
    b,
    exec: (command, args) =>
      execFileSync("ip", ["netns", "exec", ns, command, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    remove: () => {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      forget();
    },
  };
  try {
    execFileSync("ip", ["netns", "add", ns]);
    const queues = options.queues ? ["numrxqueues", String(options.queues), "numtxqueues", String(options.queues)] : [];
    execFileSync("ip", ["-n", ns, "link", "add", a, ...queues, "type", "veth", "peer", "name", b, ...queues]);
    execFileSync("ip", ["-n", ns, "link", "set", a, "up"]);
    execFileSync("ip", ["-n", ns, "link", "set", b, "up"]);
  } catch (error) {
    removeQuietly();
    forget();
    throw error;
  }
  return env;
}

/** Runs `body` with a fresh namespace, removing it afterwards, also on failure. */
export async function withVethNamespace<T>(body: (env: VethNamespace) => T | Promise<T>, options: { queues?: number } = {}): Promise<T> {
  const env = createVethNamespace("tsxdp", options);
  try {
    return await body(env);
  } finally {
    env.remove();
  }
}
