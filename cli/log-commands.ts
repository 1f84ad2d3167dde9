// The CLI's readers of what programs say: `tsxdp logs` (and `attach --follow`) stream the
// log.* lines of an object's programs already loaded in the kernel; `tsxdp trace` streams
// printk output from the trace pipe. Both print as lines arrive, until --count lines,
// --timeout seconds, or Ctrl-C.
import {
  BpfError,
  BpfMap,
  BpfObject,
  MapType,
  formatLogLine,
  ifindexOf,
  loadedXdpPrograms,
  traceLines,
  xdpAttachments,
  type BpfRingBuf,
  type LoadedProgram,
  type LogStream,
  type XdpAttachment,
} from "../runtime/index.js";

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

/** Which loaded copy of the object to follow, when the kernel holds several. */
export interface LogSource {
  /** The copy attached to this interface (of this network namespace). */
  dev?: string;
  /** The copy that holds this program. */
  progId?: number;
  /** Says which copy is followed when others were passed over (stderr). */
  note?: (line: string) => void;
}

/** The kernel keeps object names to BPF_OBJ_NAME_LEN - 1 characters. */
const kernelName = (name: string) => name.slice(0, 15);

/** A tsxdp_logs ring in the kernel and the programs of the object's names that write to it. */
interface LoadedRing {
  id: number;
  programs: LoadedProgram[];
  attachments: XdpAttachment[];
}

/**
 * Streams the log lines of `objectFile`'s programs from its ring buffer in the kernel. Every
 * object that logs has a ring named tsxdp_logs, and a record means something only with its
 * own object's format table: so the ring is the one a loaded program of this object uses
 * (same program name, its maps all named in the object), never merely the newest of the name.
 */
export async function followLogs(objectFile: string, options: StreamOptions & LogSource): Promise<number> {
  await using obj = await BpfObject.open(objectFile);
  const ringName = obj.mapSpecs.find((m) => m.name === "tsxdp_logs")?.name;
  if (!ringName) throw new BpfError(`${objectFile}: its programs never call log.*, so there are no logs to follow`, "ENOENT");
  const ringId = chooseRing(objectFile, obj, ringName, options);
  using map = BpfMap.fromId(ringId, { bytes: true });
  const ring = obj.mapOverFd(ringName, map.fd) as BpfRingBuf<Uint8Array>;
  try {
    return await stream(obj.logsOver(ring), options);
  } finally {
    ring.close();
  }
}

/**
 * The id of the ring to follow: the only one the object's loaded programs use; else the one
 * --dev or --prog-id names; else the attached copies' if any are attached. What is left must
 * run one code (equal program tags: their records share one format table), and the newest is
 * taken; copies that run different code (an older build of the file, another file with the
 * same program names) are listed for the user to choose from.
 */
function chooseRing(objectFile: string, obj: BpfObject, ringName: string, source: LogSource): number {
  const programNames = Object.keys(obj.programs);
  const names = new Set(programNames.map(kernelName));
  const mapNames = new Set(obj.mapSpecs.filter((m) => !m.internal).map((m) => kernelName(m.name)));
  const described = `${objectFile} (${programNames.join(", ")})`;
  const rings = new Map<number, LoadedRing>();
  for (const program of loadedXdpPrograms((p) => names.has(p.name))) {
    const ring = program.maps.find((m) => m.name === kernelName(ringName) && m.type === MapType.RINGBUF);
    // Internal maps (.rodata, .bss) are named after whoever opened the object: only the
    // object's own maps, C identifiers without a dot, tell objects apart.
    const foreign = program.maps.some((m) => !m.name.includes(".") && !mapNames.has(m.name));
    if (!ring || foreign) continue;
    const entry = rings.get(ring.id) ?? { id: ring.id, programs: [], attachments: [] };
    entry.programs.push(program);
    rings.set(ring.id, entry);
  }
  if (source.progId !== undefined) {
    const chosen = [...rings.values()].find((r) => r.programs.some((p) => p.id === source.progId));
    if (!chosen)
      throw new BpfError(`program id ${source.progId} is not a loaded program of ${described} with a ${ringName} ring`, "ENOENT");
    return chosen.id;
  }
  if (rings.size === 0)
    throw new BpfError(
      `no program of ${described} is loaded with a ${ringName} ring: nothing to follow (attach it first: tsxdp attach ${objectFile} --dev IFACE, or load it from a script)`,
      "ENOENT",
    );
  const attachments = xdpAttachments();
  for (const ring of rings.values()) ring.attachments = attachments.filter((a) => ring.programs.some((p) => p.id === a.progId));
  let pool = [...rings.values()];
  if (source.dev !== undefined) {
    ifindexOf(source.dev, "--dev"); // an interface that does not exist here is ENODEV, in words
    pool = pool.filter((r) => r.attachments.some((a) => a.ifname === source.dev));
    if (pool.length === 0) throw new BpfError(`no program of ${described} with a ${ringName} ring is attached to ${source.dev}`, "ENOENT");
  } else if (pool.some((r) => r.attachments.length)) {
    pool = pool.filter((r) => r.attachments.length);
  }
  const code = (r: LoadedRing) =>
    r.programs
      .map((p) => `${p.name}:${p.tag}`)
      .sort()
      .join(" ");
  const newestFirst = pool.sort((a, b) => newest(b) - newest(a));
  const builds = new Map<string, LoadedRing[]>();
  for (const ring of newestFirst) builds.set(code(ring), [...(builds.get(code(ring)) ?? []), ring]);
  if (builds.size > 1)
    throw new BpfError(
      `${newestFirst.length} loaded copies of ${described} have a ${ringName} ring and run ${builds.size} different builds (records of another build decoded with this file's formats would be wrong lines): ${[...builds.values()].map((copies, i) => `build ${i + 1}: ${copies.map(describeRing).join(", ")}`).join("; ")}; choose one with --prog-id ID or --dev IFACE`,
      "EINVAL",
    );
  const [chosen, ...others] = newestFirst;
  const passedOver = [...others, ...[...rings.values()].filter((r) => !pool.includes(r))];
  if (passedOver.length)
    source.note?.(
      `following ${describeRing(chosen!)}; also loaded: ${passedOver.map(describeRing).join("; ")} (choose with --prog-id ID or --dev IFACE)`,
    );
  return chosen!.id;
}

const newest = (ring: LoadedRing) => Math.max(...ring.programs.map((p) => p.id));

function describeRing(ring: LoadedRing): string {
  return ring.programs
    .map((p) => {
      const where = ring.attachments
        .filter((a) => a.progId === p.id)
        .map((a) => (a.ifname ? `attached to ${a.ifname}` : `attached to ifindex ${a.ifindex} of another network namespace`));
      return `program id ${p.id} (${p.name}, ${where.length ? where.join(", ") : "not attached"})`;
    })
    .join(", ");
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
