// Log lines from programs' log.debug|info|warn|error calls. The compiler writes each call
// site's format, level, program and argument layout into the ELF section ".debug_tsxdp_logs" (JSON)
// and the programs write compact records into the ring buffer "tsxdp_logs":
//   u32 format id · u32 0 · u64 ktime_get_ns · arguments at the offsets the table gives.
// This module reads the table and turns records into lines; it sits on the generic ring
// reader (RingBufReader), so any backend that yields the records' bytes gets logs.
import elfy from "elfy";
import { BpfError } from "./errors.js";
import type { RingBufReader } from "./map.js";
import { formatIpv6, formatMac } from "./packets/addresses.js";
import { formatIpv4 } from "./xdp.js";

export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LogLine {
  level: LogLevel;
  /** The XDP program that logged (a helper's call is attributed to the program calling it). */
  program: string;
  /** The formatted text: `10.0.0.1 -> 10.0.0.2 ttl 64`. */
  message: string;
  /** The arguments as values: numbers (bigint for 64-bit), booleans, Uint8Array for byte arrays. */
  args: (number | bigint | boolean | Uint8Array)[];
  /** When the program logged: bpf_ktime_get_ns (CLOCK_MONOTONIC, the clock of process.hrtime.bigint()). */
  timestamp: bigint;
}

// The table's format: the compiler (compiler/log-calls.ts) writes it with these types.
export type LogArgumentType =
  | { kind: "int"; bits: 8 | 16 | 32 | 64; signed: boolean; be: boolean }
  | { kind: "bool" }
  | { kind: "bytes"; size: number };
export type LogDisplay = "" | "x" | "ipv4" | "ipv6" | "mac";
/** One call site of one program. */
export interface LogFormat {
  id: number;
  level: LogLevel;
  program: string;
  /** The literal text around the placeholders: pieces.length === args.length + 1. */
  pieces: string[];
  args: { type: LogArgumentType; display: LogDisplay; offset: number }[];
  size: number;
  file: string;
  line: number;
}
/** The ".debug_tsxdp_logs" section: where the records go and what each format id means. */
export interface LogTable {
  version: 1;
  map: string;
  levelVariable: string;
  levels: readonly string[];
  formats: LogFormat[];
}

export const logSection = ".debug_tsxdp_logs";

/** The log table of an ELF object, or undefined when its programs never log. */
export function readLogTable(elf: Uint8Array): LogTable | undefined {
  let section: { data: Buffer } | undefined;
  try {
    section = elfy.parse(Buffer.from(elf.buffer, elf.byteOffset, elf.byteLength)).body.sections.find((s) => s.name === logSection);
  } catch {
    return undefined; // not an ELF elfy reads: libbpf will say what is wrong with it
  }
  if (!section) return undefined;
  try {
    const table = JSON.parse(section.data.toString("utf8")) as LogTable;
    if (table.version !== 1 || !Array.isArray(table.formats)) throw new Error(`version ${String(table.version)}`);
    return table;
  } catch (error) {
    throw new BpfError(
      `the object's ${logSection} section is not a log table this runtime reads (${(error as Error).message}): rebuild it with this tsxdp`,
      "EPROTO",
    );
  }
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

function readArgument(view: DataView, offset: number, t: LogArgumentType): number | bigint | boolean | Uint8Array {
  if (t.kind === "bool") return view.getUint8(offset) !== 0;
  if (t.kind === "bytes") return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + t.size));
  // Records hold values as the program's registers do (little endian); a be16/be32 there is
  // network order in memory, so it reads big-endian as its host-order value.
  const little = !t.be;
  switch (t.bits) {
    case 8:
      return t.signed ? view.getInt8(offset) : view.getUint8(offset);
    case 16:
      return t.signed ? view.getInt16(offset, little) : view.getUint16(offset, little);
    case 32:
      return t.signed ? view.getInt32(offset, little) : view.getUint32(offset, little);
    default:
      return t.signed ? view.getBigInt64(offset, little) : view.getBigUint64(offset, little);
  }
}

function display(value: number | bigint | boolean | Uint8Array, how: LogDisplay): string {
  if (value instanceof Uint8Array) {
    if (how === "mac") return formatMac(value);
    if (how === "ipv4") return [...value].join(".");
    if (how === "ipv6") return formatIpv6(value);
    return hex(value);
  }
  if (how === "ipv4" && typeof value === "number") return formatIpv4(value);
  if (how === "x" && typeof value !== "boolean") return `0x${value.toString(16)}`;
  return String(value);
}

/** One record's bytes → its line; a record the table does not describe is an error. */
export function decodeLogRecord(table: LogTable, record: Uint8Array): LogLine {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (record.byteLength < 16) throw new BpfError(`log record of ${record.byteLength} bytes is shorter than its header`, "EPROTO");
  const id = view.getUint32(0, true);
  const format = table.formats[id];
  if (!format || record.byteLength < format.size)
    throw new BpfError(
      `log record with format id ${id} (${record.byteLength} bytes) does not match the object's log table: the program and its table come from different builds`,
      "EPROTO",
    );
  const args = format.args.map((a) => readArgument(view, a.offset, a.type));
  let message = format.pieces[0] ?? "";
  args.forEach((value, i) => (message += display(value, format.args[i]!.display) + (format.pieces[i + 1] ?? "")));
  return { level: format.level, program: format.program, message, args, timestamp: view.getBigUint64(8, true) };
}

/** `[info] prog: message` — how tsxdp run and tsxdp logs print a line. */
export function formatLogLine(line: LogLine): string {
  return `[${line.level}] ${line.program}: ${line.message}`;
}

/**
 * The log lines of an object's programs: `for await (const line of skel.logs)` waits for
 * more (until the object is closed or the loop breaks); `drain()` returns what is there now.
 * Without log calls in the object, both give nothing and the loop ends at once.
 */
export class LogStream implements AsyncIterable<LogLine> {
  constructor(
    private readonly table: LogTable | undefined,
    private readonly ring: () => RingBufReader<Uint8Array> | undefined,
  ) {}

  drain(limit?: number): LogLine[] {
    const ring = this.table && this.ring();
    if (!ring) return [];
    return ring.drain(limit).map((r) => decodeLogRecord(this.table!, r));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogLine> {
    const ring = this.table && this.ring();
    if (!ring) return;
    for await (const record of ring) yield decodeLogRecord(this.table!, record);
  }
}

/** The `.rodata` value for a minimum level ("off": nothing is logged). */
export function logLevelValue(level: LogLevel | "off"): number {
  const index = level === "off" ? logLevels.length : logLevels.indexOf(level);
  if (index < 0) throw new BpfError(`unknown log level '${String(level)}' (one of ${logLevels.join(", ")}, off)`, "EINVAL");
  return index;
}
