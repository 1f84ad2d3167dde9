// The CLI's readers of what programs say: `tsxdp logs` (and `attach --follow`) stream the
// log.* lines of an object's programs already loaded in the kernel; `tsxdp trace` streams
// printk output from the trace pipe. Both print as lines arrive, until --count lines,
// --timeout seconds, or Ctrl-C.
import { BpfError, BpfMap, BpfObject, MapType, formatLogLine, traceLines, type BpfRingBuf, type LogStream } from "../runtime/index.js";

export interface StreamOptions {
  count?: number;
  timeoutMs?: number;
  write: (line: string) => void;
}

/** Aborts on Ctrl-C or after the timeout. */
function stopSignal(timeoutMs: number | undefined): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  const timer = timeoutMs === undefined ? undefined : setTimeout(stop, timeoutMs);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", stop);
      clearTimeout(timer);
    },
  };
}

/** Streams the log lines of `objectFile`'s programs from its ring buffer in the kernel. */
export async function followLogs(objectFile: string, options: StreamOptions): Promise<number> {
  await using obj = await BpfObject.open(objectFile);
  const ringName = obj.mapSpecs.find((m) => m.name === "tsxdp_logs")?.name;
  if (!ringName) throw new BpfError(`${objectFile}: its programs never call log.*, so there are no logs to follow`, "ENOENT");
  // The newest loaded ring of that name: the object loaded last (by `tsxdp attach` or a script).
  const loaded = BpfMap.loaded();
  const newest = loaded.filter((m) => m.name === ringName && m.type === MapType.RINGBUF).sort((a, b) => b.id! - a.id!)[0];
  for (const m of loaded) if (m !== newest) m.close();
  if (!newest)
    throw new BpfError(
      `${objectFile} is not loaded: no ring buffer '${ringName}' in the kernel (attach it first: tsxdp attach ${objectFile} --dev IFACE)`,
      "ENOENT",
    );
  try {
    const ring = obj.mapOverFd(ringName, newest.fd) as BpfRingBuf<Uint8Array>;
    try {
      return await stream(obj.logsOver(ring), options);
    } finally {
      ring.close();
    }
  } finally {
    newest.close();
  }
}

/** Streams an open object's lines (attach --follow). */
export async function stream(logs: LogStream, options: StreamOptions): Promise<number> {
  const { signal, dispose } = stopSignal(options.timeoutMs);
  let n = 0;
  try {
    const iterator = logs[Symbol.asyncIterator]();
    let pending = false;
    while (!signal.aborted && (options.count === undefined || n < options.count)) {
      pending = true;
      const next = await Promise.race([
        iterator.next(),
        new Promise<"stop">((resolve) => signal.addEventListener("abort", () => resolve("stop"), { once: true })),
      ]);
      if (next === "stop") break;
      pending = false;
      if (next.done) break;
      options.write(formatLogLine(next.value));
      n++;
    }
    // An async generator queues return() behind a pending next(), which waits until a record
    // comes or the ring is closed: awaiting it here hung `tsxdp logs --timeout` on an idle
    // ring. The caller closes the ring, which ends that next() and then the generator.
    if (pending) void iterator.return?.().catch(() => undefined);
    else await iterator.return?.();
  } finally {
    dispose();
  }
  return n;
}

/** Streams printk lines; with an object, only its programs' lines. */
export async function followTrace(objectFile: string | undefined, options: StreamOptions & { tracefs?: string }): Promise<number> {
  let programs: string[] | undefined;
  if (objectFile) {
    await using obj = await BpfObject.open(objectFile);
    programs = Object.keys(obj.programs);
  }
  const { signal, dispose } = stopSignal(options.timeoutMs);
  let n = 0;
  try {
    for await (const line of traceLines({ programs, signal, tracefs: options.tracefs })) {
      options.write(line.program ? `${line.time.toFixed(6)} ${line.program}: ${line.message}` : line.raw.trim());
      if (options.count !== undefined && ++n >= options.count) break;
    }
  } finally {
    dispose();
  }
  return n;
}
