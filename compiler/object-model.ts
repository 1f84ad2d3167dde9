// The object model every pass reads: what a compiled `.xdp.ts` holds (XDP programs, maps,
// config and global variables), how each is recognised in the source, and the
// description of a compiled object that the skeleton generator, `--verify` and the public
// API share. The subset check, the lowering, the skeleton and the CLI import it from here,
// so no earlier pass reaches into a later one for a definition.
import ts from "#typescript";
import type { LogTable } from "./log-calls.js";
import { type FieldType, type IntType, type StructLayout, type ArrayLayout, stdlibCallee, stdlibName } from "./types.js";

/** How a stdlib map class becomes a BTF-defined map. */
export interface MapKind {
  readonly bpfType: number;
  /** Where key and value types come from: a type argument, fixed u32, or none. */
  readonly keyFrom: "arg0" | "u32" | "none";
  readonly valueFrom: "arg0" | "arg1" | "u32" | "none";
  readonly perCpu?: boolean;
  readonly redirect?: boolean;
  readonly flags?: number;
}

/** BPF_MAP_TYPE_* per stdlib class. */
export const mapKinds: Record<string, MapKind> = {
  HashMap: { bpfType: 1, keyFrom: "arg0", valueFrom: "arg1" },
  ArrayMap: { bpfType: 2, keyFrom: "u32", valueFrom: "arg0" },
  ProgArray: { bpfType: 3, keyFrom: "u32", valueFrom: "u32" },
  PerCpuHashMap: { bpfType: 5, keyFrom: "arg0", valueFrom: "arg1", perCpu: true },
  PerCpuArray: { bpfType: 6, keyFrom: "u32", valueFrom: "arg0", perCpu: true },
  LruHashMap: { bpfType: 9, keyFrom: "arg0", valueFrom: "arg1" },
  LruPerCpuHashMap: { bpfType: 10, keyFrom: "arg0", valueFrom: "arg1", perCpu: true },
  LpmTrie: { bpfType: 11, keyFrom: "arg0", valueFrom: "arg1", flags: 1 /* BPF_F_NO_PREALLOC, required */ },
  DevMap: { bpfType: 14, keyFrom: "u32", valueFrom: "u32", redirect: true },
  CpuMap: { bpfType: 16, keyFrom: "u32", valueFrom: "u32", redirect: true },
  XskMap: { bpfType: 17, keyFrom: "u32", valueFrom: "u32", redirect: true },
  DevMapHash: { bpfType: 25, keyFrom: "u32", valueFrom: "u32", redirect: true },
  RingBuf: { bpfType: 27, keyFrom: "none", valueFrom: "none" },
};

/** A map declared at module level: `export const m = new HashMap<K, V>({ maxEntries: N })`. */
export interface MapDefinition {
  readonly name: string;
  readonly className: string;
  readonly kind: MapKind;
  readonly key?: FieldType;
  readonly value?: FieldType;
  /** RingBuf record type. */
  readonly record?: FieldType;
  readonly maxEntries: number;
  readonly flags: number;
  readonly pinByName: boolean;
  readonly declaration: ts.VariableDeclaration;
  /** The LLVM global. */
  readonly global: string;
}

/** A module-level `config<T>(…)` (`.rodata`) or `global<T>(…)` (`.data`/`.bss`). */
export interface GlobalDefinition {
  readonly name: string;
  readonly kind: "config" | "global";
  /** The value's type as laid out in memory (int, bool, struct or FixedArray). */
  readonly type: FieldType;
  /** Scalars: the integer type (undefined: bool, or an aggregate — see `layout`). */
  readonly int?: IntType;
  /** Aggregates: the struct or FixedArray layout. */
  readonly layout?: StructLayout | ArrayLayout;
  /** Scalars: the initial value. */
  readonly initial: bigint;
  /** Aggregates: the initial bytes (zero-filled). */
  readonly bytes?: Uint8Array;
  readonly global: string;
  readonly section: ".rodata" | ".data" | ".bss";
  readonly declaration: ts.VariableDeclaration;
}

/** An exported `const enum` of a program file: its name and members with their values. */
export interface ConstEnum {
  readonly name: string;
  readonly members: readonly (readonly [string, number])[];
}

/** The exported const enums of `file` whose members are all numbers. */
export function exportedConstEnums(file: ts.SourceFile, checker: ts.TypeChecker): ConstEnum[] {
  const enums: ConstEnum[] = [];
  for (const statement of file.statements) {
    if (!ts.isEnumDeclaration(statement)) continue;
    const flags = ts.getCombinedModifierFlags(statement);
    if (!(flags & ts.ModifierFlags.Export) || !(flags & ts.ModifierFlags.Const)) continue;
    const members = statement.members.map((m) => [m.name.getText(), checker.getConstantValue(m)] as const);
    if (members.every((m): m is readonly [string, number] => typeof m[1] === "number")) enums.push({ name: statement.name.text, members });
  }
  return enums;
}

/** One compiled `.xdp.ts`: what `compile()` returns, the skeleton is generated from and `--verify` loads. */
export interface CompiledObject {
  readonly source: string;
  /** The ELF object file. */
  readonly object: string;
  readonly programs: readonly string[];
  readonly maps: readonly MapDefinition[];
  readonly globals: readonly GlobalDefinition[];
  /** The log.* call sites (undefined: nothing logs, and the object has no log ring). */
  readonly logs?: LogTable;
  /** The root file's exported const enums, which the skeleton exports too (Node sees names). */
  readonly enums?: readonly ConstEnum[];
  readonly ir: string;
  /** NAME.skel.js, when written. */
  readonly skeleton?: string;
}

/** Whether `decl` is an XDP program: exported, one XdpContext parameter, returns XDP. */
export function isProgram(decl: ts.FunctionDeclaration, checker: ts.TypeChecker): boolean {
  if (!decl.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) || !decl.body || !decl.name) return false;
  const sig = checker.getSignatureFromDeclaration(decl);
  if (!sig || decl.parameters.length !== 1) return false;
  const paramType = checker.getTypeAtLocation(decl.parameters[0]!);
  const returnType = sig.getReturnType();
  return stdlibName(paramType) === "XdpContext" && stdlibName(returnType) === "XDP";
}

/** The map kind of a stdlib map class name (`HashMap`, …), else undefined. */
export function mapKindOf(className: string | undefined): MapKind | undefined {
  return className !== undefined && Object.hasOwn(mapKinds, className) ? mapKinds[className] : undefined;
}

/** `config<T>(…)` or `global<T>(…)` from the stdlib: which one, else undefined. */
export function globalKindOf(call: ts.Expression, checker: ts.TypeChecker): "config" | "global" | undefined {
  const name = stdlibCallee(call, checker);
  return name === "config" || name === "global" ? name : undefined;
}
