// Names from JavaScript's runtime library that programs reach for. Under `noLib` TypeScript
// reports them with advice for a browser or Node project ("change your 'lib' to include
// 'dom'", "change 'lib' to es2015"), which is wrong here: the program runs in the kernel.
// For each such TypeScript error this adds a TSX diagnostic at the same place that says what
// to write instead. The name has no symbol to resolve (that is the error), so the table is
// keyed by the name as written.
import { Diagnostics, makeDiagnosticAt, type TsxDiagnostic } from "./diagnostics.js";

const useInstead: Readonly<Record<string, string>> = {
  console:
    'Log with log.info("format {}", value) from "tsxdp" (Node reads the lines from skel.logs, tsxdp run prints them), or count events in a map that Node reads.',
  Math: "BPF has no floating point and no Math: write min/max as a comparison (a < b ? a : b) and keep the arithmetic on integers.",
  Promise: "An XDP program runs to completion on one packet: remove async/await and return the verdict.",
  Map: "Use a BPF map at module level: export const table = new HashMap<K, V>({ maxEntries: N }).",
  Set: "Use a BPF map at module level: export const members = new HashMap<K, u8>({ maxEntries: N }).",
  Array: "Use a FixedArray<T, N> field in a struct, or an ArrayMap.",
  Uint8Array: "Read packet bytes through ctx.header<T>(offset); keep bytes in a FixedArray<u8, N> field.",
  DataView: "Read packet bytes through ctx.header<T>(offset); keep bytes in a FixedArray<u8, N> field.",
  Buffer: "Read packet bytes through ctx.header<T>(offset); Node APIs belong in the Node script.",
  Date: "Read the clock with ktimeGetNs() (nanoseconds since boot, a u64).",
  performance: "Read the clock with ktimeGetNs() (nanoseconds since boot, a u64).",
  setTimeout: "A program runs once per packet: store a timestamp (ktimeGetNs()) in a map and act on a later packet, or from Node.",
  setInterval: "A program runs once per packet: store a timestamp (ktimeGetNs()) in a map and act on a later packet, or from Node.",
  JSON: "Programs work on integers and bytes; format data in the Node script that reads the maps.",
  String: "Programs work on integers and bytes; format data in the Node script that reads the maps.",
  Number: "Integers have fixed widths: convert with u8(…), u16(…), u32(…), u64(…).",
  parseInt: "Integers have fixed widths: convert with u8(…), u16(…), u32(…), u64(…).",
  Error: "A program cannot throw: return a verdict such as XDP.ABORTED.",
  process: "Node APIs belong in the Node script; a program reads its settings from config<T>() values set before load.",
  require: 'A program imports only "tsxdp" and other .xdp.ts files; Node modules belong in the Node script.',
};

/** TypeScript's "Cannot find name" family (2304 plain, 2580–2584 and 2591 with lib/types advice). */
const cannotFindName = new Set([2304, 2580, 2581, 2582, 2583, 2584, 2591]);

export function explainRuntimeGlobals(typeScriptDiagnostics: readonly TsxDiagnostic[]): TsxDiagnostic[] {
  const out: TsxDiagnostic[] = [];
  for (const d of typeScriptDiagnostics) {
    if (d.prefix !== "TS" || !cannotFindName.has(d.code) || !d.file || d.start === undefined || d.length === undefined) continue;
    const name = d.file.text.slice(d.start, d.start + d.length);
    const hint = Object.hasOwn(useInstead, name) ? useInstead[name] : undefined;
    if (hint === undefined) continue;
    out.push(makeDiagnosticAt(Diagnostics.RuntimeGlobal, d.file, d.start, d.length, name, hint));
  }
  return out;
}
