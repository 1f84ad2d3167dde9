// printk output: bpf_trace_printk writes into the kernel's trace buffer, read through
// tracefs's trace_pipe (each read consumes what it returns; one reader at a time sees a
// line). tracefs is found in /proc/mounts, else mounted at /sys/kernel/tracing as bpftool
// does. Reading polls a non-blocking trace_pipe, so a reader never holds a thread in a read
// that only new trace data would end.
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import { BpfError } from "./errors.js";

export interface TraceLine {
  /** The task that was running (for XDP: whoever's softirq ran the program). */
  task: string;
  pid: number;
  cpu: number;
  /** Seconds since boot, as the trace clock gives them. */
  time: number;
  /**
   * The program that printed, when its name leads the message: tsxdp's compiler prefixes
   * every printk format with `NAME: ` (the kernel itself does not record the program).
   */
  program?: string;
  message: string;
  /** The line as the kernel wrote it. */
  raw: string;
}

const defaultMount = "/sys/kernel/tracing";

/** Where tracefs is mounted, from /proc/mounts (undefined: nowhere). */
export function findTracefs(): string | undefined {
  const mounts = fs
    .readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" "));
  const tracefs = mounts.find((m) => m[2] === "tracefs")?.[1];
  if (tracefs) return tracefs;
  const debugfs = mounts.find((m) => m[2] === "debugfs")?.[1];
  return debugfs && fs.existsSync(`${debugfs}/tracing/trace_pipe`) ? `${debugfs}/tracing` : undefined;
}

/** tracefs's mount point, mounting it at `mountPoint` (default /sys/kernel/tracing) when absent. */
export function ensureTracefs(mountPoint = defaultMount): string {
  const found = findTracefs();
  if (found) return found;
  if (!fs.readFileSync("/proc/filesystems", "utf8").includes("\ttracefs")) {
    throw new BpfError(
      "this kernel has no tracefs (CONFIG_TRACING is off): printk output cannot be read; use log.* and skel.logs instead",
      "ENOTSUP",
    );
  }
  const r = spawnSync("mount", ["-t", "tracefs", "nodev", mountPoint], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0)
    throw new BpfError(
      `cannot mount tracefs at ${mountPoint}: ${(r.stderr || r.error?.message || "mount failed").trim()} (needs root; or mount it yourself: mount -t tracefs nodev ${mountPoint})`,
      "EPERM",
    );
  return mountPoint;
}

const linePattern = /^\s*(.+)-(\d+)\s+\[(\d+)\]\s+\S*\s+([\d.]+): (?:bpf_trace_printk: )?(.*)$/;

/** One trace_pipe line; `programs` are the names to recognise as a message prefix. */
export function parseTraceLine(raw: string, programs?: ReadonlySet<string>): TraceLine | undefined {
  const m = linePattern.exec(raw);
  if (!m) return undefined;
  let message = m[5]!;
  const prefix = /^([A-Za-z_$][\w$]*): /.exec(message);
  const program = prefix && (!programs || programs.has(prefix[1]!)) ? prefix[1] : undefined;
  if (program) message = message.slice(prefix![0].length);
  return { task: m[1]!.trim(), pid: Number(m[2]), cpu: Number(m[3]), time: Number(m[4]), program, message, raw };
}

export interface TraceOptions {
  /** Where tracefs is (default: found, or mounted at /sys/kernel/tracing). */
  tracefs?: string;
  /** Only lines printed by these programs (names from the compiler's prefix). */
  programs?: Iterable<string>;
  /** Stops the iteration. */
  signal?: AbortSignal;
  /** Poll interval while the pipe is empty (ms). */
  pollMs?: number;
}

/** printk lines as they arrive: `for await (const line of traceLines()) …`. */
export async function* traceLines(options: TraceOptions = {}): AsyncGenerator<TraceLine> {
  const root = options.tracefs ?? ensureTracefs();
  const programs = options.programs ? new Set(options.programs) : undefined;
  let fd: number;
  try {
    fd = fs.openSync(`${root}/trace_pipe`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new BpfError(`cannot open ${root}/trace_pipe: ${e.message}`, e.code ?? "EIO");
  }
  const buffer = Buffer.alloc(64 * 1024);
  let pending = "";
  try {
    while (!options.signal?.aborted) {
      let n = 0;
      try {
        n = fs.readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      }
      if (n === 0) {
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
        continue;
      }
      pending += buffer.toString("utf8", 0, n);
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const raw of lines) {
        const line = parseTraceLine(raw, programs);
        if (line && (!programs || line.program)) yield line;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
