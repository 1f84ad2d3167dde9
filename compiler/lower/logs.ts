// log.debug|info|warn|error(format, …args): typed logs from programs to Node.
//
// The format string never reaches the program: each call site (per program, since helpers
// are instantiated per program) gets a numeric id, and the formats, argument types and
// display hints go into a JSON table in the ELF section ".debug_tsxdp_logs". libbpf (so
// bpftool, ip and xdp-loader) skips ".debug_*" sections silently, as it skips DWARF — any
// other unknown section costs a "skipping unrecognized data section" line on every load —
// and like debug info it is not needed to run the program, only to read its logs. A call writes one compact
// record straight into a ring buffer the compiler declares only when some call exists
// ("tsxdp_logs"), so a program that never logs pays nothing:
//   u32 id · u32 0 · u64 ktime_get_ns · the arguments at their natural size and alignment
// The minimum level is `.rodata` configuration ("tsxdp_log_level", set by the loader before
// load): the verifier sees it as a constant, so a disabled level is one branch it prunes.
// Arguments are evaluated only when their level is enabled (as Rust's log macros do).
import path from "node:path";
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { type IntType, Int, intTy, llInt } from "../types.js";
import type { FunctionState, ModuleState, Value } from "./context.js";
import { BpfHelper, callHelper } from "./bpf-helpers.js";
import { emitMapGlobal } from "./map-declarations.js";
import { copyBytes } from "./places.js";
import {
  type LogArgumentType,
  type LogDisplay,
  type LogFormat,
  type LogLevelName,
  type LogTable,
  logLevels,
  logLevelVariable,
  logMapName,
  logSection,
  maxLogArguments,
  parseLogFormat,
} from "../log-calls.js";
/** Record header: format id (u32), padding, timestamp (u64). */
const headerBytes = 16;
/** The longest FixedArray<u8, N> a record carries (an IPv6 address). */
const maxLogBytes = 16;
const logRingBytes = 256 * 1024;

/** What a lowered argument is, for the record; undefined when it cannot be logged. */
function argumentType(v: Value): LogArgumentType | undefined {
  if (v.ty.kind === "const") return { kind: "int", bits: 64, signed: (v.constant ?? 0n) < 0n, be: false };
  if (v.ty.kind === "int") return { kind: "int", ...v.ty.int };
  if (v.ty.kind === "bool") return { kind: "bool" };
  if (v.ty.kind === "view" && !v.ty.nullable && v.ty.layout.kind === "array") {
    const { element, length } = v.ty.layout;
    if (element.kind === "int" && element.int.bits === 8 && length <= maxLogBytes) return { kind: "bytes", size: length };
  }
  return undefined;
}

function displayFits(display: LogDisplay, t: LogArgumentType): boolean {
  switch (display) {
    case "":
      return true;
    case "x":
      return t.kind !== "bool";
    case "ipv4":
      return (t.kind === "int" && t.bits === 32 && !t.signed) || (t.kind === "bytes" && t.size === 4);
    case "ipv6":
      return t.kind === "bytes" && t.size === 16;
    case "mac":
      return t.kind === "bytes" && t.size === 6;
  }
}

const typeName = (t: LogArgumentType) =>
  t.kind === "int" ? `${t.be ? "be" : t.signed ? "i" : "u"}${t.bits}` : t.kind === "bool" ? "bool" : `FixedArray<u8, ${t.size}>`;

/** Per module: the call sites seen so far; emits the ring, the level and the table at the end. */
export class LogSites {
  private readonly formats: LogFormat[] = [];

  get isEmpty(): boolean {
    return this.formats.length === 0;
  }

  add(format: Omit<LogFormat, "id">): number {
    this.formats.push({ id: this.formats.length, ...format });
    return this.formats.length - 1;
  }

  table(): LogTable {
    return { version: 1, map: logMapName, levelVariable: logLevelVariable, levels: logLevels, formats: this.formats };
  }

  /** The ring buffer, the level configuration and the format table (only when something logs). */
  emit(state: ModuleState, fileName: string): void {
    if (this.isEmpty) return;
    const { module: m, debug } = state;
    emitMapGlobal(
      state,
      logMapName,
      [
        { name: "type", type: debug.mapAttribute(27) },
        { name: "max_entries", type: debug.mapAttribute(logRingBytes) },
      ],
      fileName,
      1,
    );
    const levelType = m.meta(
      `!DIDerivedType(tag: DW_TAG_const_type, baseType: ${m.meta(`!DIDerivedType(tag: DW_TAG_volatile_type, baseType: ${debug.int(Int.u8)})`)})`,
    );
    const levelDebug = debug.globalVariable(logLevelVariable, levelType, fileName, 1);
    m.addGlobal(
      `@${logLevelVariable} = dso_local constant i8 0, section ".rodata", align 1, !dbg ${levelDebug}`,
      `@${logLevelVariable}`,
      true,
    );
    const json = Buffer.from(JSON.stringify(this.table()), "utf8");
    const escaped = [...json]
      .map((b) =>
        b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : "\\" + b.toString(16).padStart(2, "0").toUpperCase(),
      )
      .join("");
    m.addGlobal(
      `@tsxdp_log_formats = dso_local constant [${json.length} x i8] c"${escaped}", section "${logSection}", align 1`,
      "@tsxdp_log_formats",
      true,
    );
  }
}

// log.<level>(format: string literal, ...args: integers | bool | FixedArray<u8, ≤16>): void
export function lowerLogCall(fs: FunctionState, node: ts.CallExpression, level: LogLevelName): Value {
  const done: Value = { ty: { kind: "void" }, ir: "" };
  const [format, ...argNodes] = node.arguments;
  if (!format || !ts.isStringLiteralLike(format)) {
    fs.error(Diagnostics.LogFormatNotConstant, format ?? node, level);
    return done;
  }
  const parsed = parseLogFormat(format.text);
  if (typeof parsed === "string") {
    fs.error(Diagnostics.LogPlaceholder, format, parsed);
    return done;
  }
  if (argNodes.length > maxLogArguments) {
    fs.error(Diagnostics.LogTooManyArguments, argNodes[maxLogArguments]!, level, maxLogArguments);
    return done;
  }
  if (parsed.placeholders.length !== argNodes.length) {
    fs.error(
      Diagnostics.LogArgumentCount,
      argNodes.length > parsed.placeholders.length ? argNodes[parsed.placeholders.length]! : format,
      parsed.placeholders.length,
      argNodes.length,
    );
    return done;
  }
  const { fb } = fs;
  const enabled = fb.newBlock("log");
  const skip = fb.newBlock("log.done");
  fs.at(node);
  const minimum = fb.value(`load volatile i8, ptr @${logLevelVariable}, align 1`);
  fb.condBr(fb.value(`icmp ule i8 ${minimum}, ${logLevels.indexOf(level)}`), enabled, skip);
  fb.setBlock(enabled);

  const args: LogFormat["args"] = [];
  const values: Value[] = [];
  let offset = headerBytes;
  argNodes.forEach((argNode, i) => {
    const v = fs.lowerExpression(argNode);
    if (v.poisoned) return;
    const type = argumentType(v);
    if (!type) {
      fs.error(Diagnostics.LogArgumentType, argNode, fs.checker.typeToString(fs.checker.getTypeAtLocation(argNode)), maxLogBytes);
      return;
    }
    if (v.ty.kind === "view" || v.ty.kind === "ref") fs.checkFresh(v, argNode.getText(), argNode);
    const display = parsed.placeholders[i]!.display;
    if (!displayFits(display, type)) {
      fs.error(Diagnostics.LogPlaceholder, argNode, `{:${display}} for ${typeName(type)}`);
      return;
    }
    const size = type.kind === "int" ? type.bits / 8 : type.kind === "bool" ? 1 : type.size;
    const align = type.kind === "int" ? size : 1;
    offset = Math.ceil(offset / align) * align;
    args.push({ type, display, offset });
    values.push(settled(fs, v));
    offset += size;
  });
  const size = Math.ceil(offset / 8) * 8;
  if (args.length === argNodes.length) {
    const file = node.getSourceFile();
    const id = fs.mod.logs.add({
      level,
      program: fs.program,
      pieces: parsed.pieces,
      args,
      size,
      file: path.basename(file.fileName),
      line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1,
    });
    writeRecord(fs, id, size, args, values);
  }
  fb.br(skip);
  fb.setBlock(skip);
  return done;
}

/**
 * A scalar argument computed here, before the ring reservation. LLVM would otherwise sink
 * `ctx.len` (data_end - data) past the helper calls, keeping the two 32-bit packet pointers
 * alive across them: spilled as 4-byte stores, which the verifier refuses for pointers
 * ("invalid size of register spill"). An empty asm with side effects does not move.
 */
function settled(fs: FunctionState, v: Value): Value {
  if (v.ty.kind === "bool") {
    const byte = fs.fb.value(`zext i1 ${v.ir} to i8`);
    return { ty: intTy(Int.u8), ir: fs.fb.value(`call i8 asm sideeffect "", "=r,0"(i8 ${byte})`) };
  }
  if (v.ty.kind !== "int") return v;
  const ll = llInt(v.ty.int);
  return { ...v, ir: fs.fb.value(`call ${ll} asm sideeffect "", "=r,0"(${ll} ${v.ir})`) };
}

function writeRecord(fs: FunctionState, id: number, size: number, args: LogFormat["args"], values: Value[]): void {
  const { fb } = fs;
  const write = fb.newBlock("log.write");
  const full = fb.newBlock("log.full");
  const record = callHelper(fs, BpfHelper.ringbufReserve, "ptr", [`ptr @${logMapName}`, `i64 ${size}`, "i64 0"]);
  // A full ring drops the record (the reader sees the gap in nothing but the count).
  fb.condBr(fb.value(`icmp eq ptr ${record}, null`), full, write, true);
  fb.setBlock(write);
  fb.inst(`store i32 ${id}, ptr ${record}, align 8`);
  fb.inst(`store i32 0, ptr ${fb.value(`getelementptr inbounds i8, ptr ${record}, i64 4`)}, align 4`);
  const now = callHelper(fs, BpfHelper.ktimeGetNs, "i64", []);
  fb.inst(`store i64 ${now}, ptr ${fb.value(`getelementptr inbounds i8, ptr ${record}, i64 8`)}, align 8`);
  args.forEach((arg, i) => {
    const v = values[i]!;
    const at = fb.value(`getelementptr inbounds i8, ptr ${record}, i64 ${arg.offset}`);
    const t = arg.type;
    if (t.kind === "bytes") {
      copyBytes(fs, at, v.ir, t.size, 1);
    } else if (t.kind === "bool") {
      fb.inst(`store i8 ${v.ir}, ptr ${at}, align 1`); // settled() made it a byte
    } else {
      const ll = llInt({ bits: t.bits, signed: t.signed, be: t.be } as IntType);
      fb.inst(`store ${ll} ${v.ty.kind === "const" ? v.constant : v.ir}, ptr ${at}, align ${t.bits / 8}`);
    }
  });
  callHelper(fs, BpfHelper.ringbufSubmit, "i64", [`ptr ${record}`, "i64 0"]);
  fb.br(full);
  fb.setBlock(full);
}
