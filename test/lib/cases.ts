// NAME.cases.json beside a program: packets in, verdict, bytes and map contents out.
//   { "program": "firewall", "cases": [ {
//       "name": "blocked source is dropped",
//       "maps":   { "blocklist": [["10.0.0.1", "0n"]] },             // set before the run
//       "before": [ <packet>, … ],                                     // run first, unchecked (optional)
//       "packet": [{ "eth": {} }, { "ipv4": { "src": "10.0.0.1", "dst": "10.0.0.2" } }, { "udp": { "sport": 1, "dport": 2 } }],
//       "expect": { "action": "DROP",
//                   "packet": [ … ] | "hex",                          // exact output bytes (optional)
//                   "checksumsValid": true,                           // every checksum of the output (optional)
//                   "maps": { "blocklist": [["10.0.0.1", "1n"]] },    // entries after (optional; per-CPU: the sum;
//                                                                     //  struct values may list only some fields)
//                   "rings": { "events": ["0102xxxx", …] },            // every record a RingBuf holds after the
//                                                                     //  run, in order, as hex ("xx": any byte)
//                   "logs": ["[info] firewall: dropped 10.0.0.1"] }     // every log.* line of this run, exactly
//   } ] }
// Values: numbers; "123n" for 64-bit; "10.0.0.1" for IPv4 (host order, as the runtime takes
// be32); "02:00:00:00:00:01" for a MAC (Uint8Array); objects for structs; null for absent;
// "program:NAME" for the fd of another program of the object (a ProgArray slot for tail calls).
import fs from "node:fs";
import { casesFileOf, examplePrograms, passPrograms } from "./programs.js";
import { BpfObject, BpfPerCpuMap, XDP, formatLogLine, ipv4, mac, type OpenOptions } from "../../runtime/index.js";
import { build, checksumProblems, type Layer } from "./packets.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Case {
  name: string;
  /** Another program of the same object (default: the file's "program"). */
  program?: string;
  maps?: Record<string, [Json, Json][]>;
  /** Packets run first, in order (their results are not checked): flows, state machines. */
  before?: (Layer[] | string)[];
  packet: Layer[] | string;
  expect: {
    action: keyof typeof XDP;
    packet?: Layer[] | string;
    checksumsValid?: boolean;
    maps?: Record<string, [Json, Json][]>;
    rings?: Record<string, string[]>;
    logs?: string[];
  };
}
export interface CasesFile {
  program: string;
  cases: Case[];
}

/** Every NAME.cases.json of verifier-tests/pass and examples/, sorted. */
export function casesFiles(): string[] {
  return [...passPrograms(), ...examplePrograms()]
    .map(casesFileOf)
    .filter((f): f is string => f !== undefined)
    .sort();
}

export function readCases(file: string): CasesFile {
  return JSON.parse(fs.readFileSync(file, "utf8")) as CasesFile;
}

export function toValue(v: Json): unknown {
  if (typeof v === "string") {
    if (/^-?\d+n$/.test(v)) return BigInt(v.slice(0, -1));
    if (/^\d+\.\d+\.\d+\.\d+$/.test(v)) return ipv4(v);
    if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(v)) return mac(v);
    return v;
  }
  if (Array.isArray(v)) return v.map(toValue);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x)]));
  return v;
}

/** A canonical form for comparing runtime values with expectations (bigint and number alike). */
export function canonical(v: unknown): string {
  if (typeof v === "bigint" || typeof v === "number") return String(v);
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString("hex")}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${k}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v ?? null);
}

/** Expected struct values may list only some fields (timestamps cannot be predicted). */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected && typeof expected === "object" && !Array.isArray(expected) && !(expected instanceof Uint8Array)) {
    if (!actual || typeof actual !== "object") return false;
    return Object.entries(expected).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v));
  }
  return canonical(actual) === canonical(expected);
}

/** A map value of a case: "program:NAME" is that program's fd (ProgArray slots). */
export function valueFor(obj: BpfObject, v: Json): unknown {
  if (typeof v === "string" && v.startsWith("program:")) return obj.program(v.slice("program:".length)).fd;
  return toValue(v);
}

/** Hex `actual` against a pattern where "xx" stands for any byte (timestamps, CPU numbers). */
function hexMatches(actual: string, pattern: string): boolean {
  const want = pattern.replace(/\s+/g, "").toLowerCase();
  if (want.length !== actual.length) return false;
  for (let i = 0; i < want.length; i += 2)
    if (want.slice(i, i + 2) !== "xx" && want.slice(i, i + 2) !== actual.slice(i, i + 2)) return false;
  return true;
}

export function bytesOf(p: Layer[] | string): Uint8Array {
  return typeof p === "string" ? Uint8Array.from(Buffer.from(p.replace(/\s+/g, ""), "hex")) : build(p);
}

const hexdump = (b: Uint8Array) =>
  Buffer.from(b)
    .toString("hex")
    .replace(/(.{32})/g, "$1\n")
    .trim();

/** Sets a case's map entries before its runs. */
export function setCaseMaps(obj: BpfObject, c: Case): void {
  for (const [name, entries] of Object.entries(c.maps ?? {})) {
    const map = obj.map(name);
    for (const [k, v] of entries) map.set(toValue(k), valueFor(obj, v) as never);
  }
}

/**
 * Runs every case on a fresh load of `object` (on the kernel, or with `open.backend` "vm" on
 * the VM); returns one message per failure.
 */
export async function runCases(object: string, cases: CasesFile, open: OpenOptions = {}): Promise<string[]> {
  const failures: string[] = [];
  for (const c of cases.cases) {
    const obj = await (await BpfObject.open(object, open)).load();
    try {
      setCaseMaps(obj, c);
      const program = obj.program(c.program ?? cases.program);
      for (const p of c.before ?? []) program.run(bytesOf(p));
      obj.logs.drain(); // lines of the "before" packets are not this case's
      const result = program.run(bytesOf(c.packet));
      const problems: string[] = [];
      if (XDP[result.action] !== c.expect.action)
        problems.push(`verdict ${XDP[result.action] ?? result.action}, expected ${c.expect.action}`);
      if (c.expect.packet !== undefined) {
        const want = bytesOf(c.expect.packet);
        if (Buffer.compare(Buffer.from(want), Buffer.from(result.packet)) !== 0)
          problems.push(
            `output bytes differ:\n  got      ${hexdump(result.packet).replace(/\n/g, "\n           ")}\n  expected ${hexdump(want).replace(/\n/g, "\n           ")}`,
          );
      }
      if (c.expect.checksumsValid) {
        const bad = checksumProblems(result.packet);
        if (bad.length) problems.push(`invalid checksums in the output: ${bad.join(", ")}`);
      }
      for (const [name, entries] of Object.entries(c.expect.maps ?? {})) {
        const map = obj.map(name);
        for (const [k, v] of entries) {
          const actual = map instanceof BpfPerCpuMap ? map.sum(toValue(k)) : map.get(toValue(k));
          const want = v === null ? undefined : toValue(v);
          if (!matches(actual, want))
            problems.push(`map ${name}[${JSON.stringify(k)}] is ${canonical(actual)}, expected ${canonical(want)}`);
        }
      }
      for (const [name, patterns] of Object.entries(c.expect.rings ?? {})) {
        const records = obj
          .ringBuf(name)
          .drain()
          .map((r) => Buffer.from(r as Uint8Array).toString("hex"));
        const fits = records.length === patterns.length && patterns.every((p, i) => hexMatches(records[i]!, p));
        if (!fits) problems.push(`ring ${name} holds [${records.join(", ")}], expected [${patterns.join(", ")}]`);
      }
      if (c.expect.logs) {
        const lines = obj.logs.drain().map(formatLogLine);
        if (canonical(lines) !== canonical(c.expect.logs))
          problems.push(`logged ${JSON.stringify(lines, null, 1)}, expected ${JSON.stringify(c.expect.logs, null, 1)}`);
      }
      if (problems.length) failures.push(`case "${c.name}": ${problems.join("; ")}`);
    } catch (error) {
      failures.push(`case "${c.name}": ${(error as Error).message}`);
    } finally {
      obj.close();
    }
  }
  return failures;
}
