// The one table of tsxdp diagnostics. Codes are stable: a number is never reused or
// renumbered. Bands: 1xxx syntax and subset, 2xxx types and conversions, 3xxx BPF limits
// (stack, loops, recursion, packet views), 4xxx maps and helpers, 5xxx toolchain, verifier
// and loader, 9xxx internal. Messages take `{0}`-style arguments; a hint says what to write
// instead.
import ts from "#typescript";

export interface DiagnosticTemplate {
  readonly code: number;
  readonly message: string;
  readonly hint?: string;
}

export const Diagnostics = {
  // ---- 1xxx: syntax and subset ----------------------------------------------------------
  UnsupportedSyntax: {
    code: 1001,
    message: "{0} is not supported in .xdp.ts programs.",
    hint: "Programs are a subset of TypeScript: integers, structs (interfaces), views, maps, functions, if/for/switch.",
  },
  StringNotAllowed: {
    code: 1002,
    message: "Strings are not supported in .xdp.ts programs.",
    hint: "Only a printk() format may be a string literal; use integers or FixedArray<u8, N> for bytes.",
  },
  FloatNotAllowed: {
    code: 1003,
    message: "Floating-point value '{0}' is not supported: BPF has no floating point.",
    hint: "Use an integer type (u8 … u64, i8 … i64) and scale the value.",
  },
  AnyNotAllowed: {
    code: 1004,
    message: "'any' is not supported in .xdp.ts programs.",
    hint: "Give the value an integer, struct or view type.",
  },
  ClassNotAllowed: {
    code: 1005,
    message: "Classes are not supported in .xdp.ts programs.",
    hint: "Declare the data as an interface (a C struct) and write functions that take it.",
  },
  ClosureNotAllowed: {
    code: 1006,
    message: "Closures and function expressions are not supported.",
    hint: "Declare a named top-level function and call it.",
  },
  ExceptionNotAllowed: {
    code: 1007,
    message: "Exceptions ({0}) are not supported: BPF programs cannot unwind.",
    hint: "Return an XDP verdict (e.g. XDP.ABORTED) instead.",
  },
  AsyncNotAllowed: {
    code: 1008,
    message: "async functions, await and generators are not supported.",
    hint: "An XDP program runs to completion on one packet; remove async.",
  },
  DynamicArrayNotAllowed: {
    code: 1009,
    message: "Array literals and dynamic arrays are not supported.",
    hint: "Use a FixedArray<T, N> field inside a struct, or a map.",
  },
  AllocationNotAllowed: {
    code: 1010,
    message: "'new {0}' allocates memory, which is not supported.",
    hint: "Only maps may be created with new, at module level: export const m = new HashMap<K, V>({ maxEntries: N }).",
  },
  ProgramSignature: {
    code: 1011,
    message: "Exported function '{0}' must have the signature (ctx: XdpContext): XDP to be an XDP program.",
    hint: "Export only XDP programs; keep helpers unexported or give them a different file.",
  },
  ModuleStatement: {
    code: 1012,
    message: "Only imports, interfaces, type aliases, const enums, constants, maps and functions may appear at module level.",
    hint: "Move the statement into a function.",
  },
  MutableGlobal: {
    code: 1013,
    message: "Module-level 'let' and 'var' are not supported yet.",
    hint: "Use a const for a compile-time constant, or an ArrayMap with one entry for a mutable value.",
  },
  UnsupportedOperator: { code: 1014, message: "Operator '{0}' is not supported.", hint: "{1}" },
  DeleteNotAllowed: { code: 1015, message: "The 'delete' operator is not supported.", hint: "Use map.delete(key) for map entries." },
  VarNotAllowed: { code: 1016, message: "'var' is not supported; use 'let' or 'const'." },
  ObjectLiteralNeedsType: {
    code: 1017,
    message: "An object literal needs a struct type here.",
    hint: "Annotate the variable: const key: FlowKey = { … }.",
  },
  DestructuringNotAllowed: { code: 1018, message: "Destructuring is not supported.", hint: "Read the fields one by one: const a = s.a." },
  OptionalChainingNotAllowed: {
    code: 1019,
    message: "Optional chaining ('?.') is not supported.",
    hint: "Check for null with if (v !== null) first.",
  },
  ImportNotAllowed: {
    code: 1020,
    message: "Cannot import '{0}': a .xdp.ts program may import only \"tsxdp\", other .xdp.ts files and plain .ts files inside the subset.",
  },
  ThisNotAllowed: { code: 1021, message: "'this' is not supported in .xdp.ts programs." },
  PrintkFormat: { code: 1022, message: "printk() needs a string literal format and at most 3 integer arguments." },
  ProgramNeedsName: {
    code: 1024,
    message: "An exported function needs a name: a program's name is its function's name (ELF symbol and skeleton field).",
    hint: "Write export function firewall(ctx: XdpContext): XDP { … }.",
  },
  RuntimeGlobal: {
    code: 1025,
    message: "'{0}' does not exist in .xdp.ts programs: they run in the kernel, without JavaScript's runtime library.",
    hint: "{1}",
  },
  ObjectNameInvalid: {
    code: 1026,
    message:
      "'{0}' cannot name a {1}: names in a BPF object are C identifiers (ASCII letters, digits and '_', not starting with a digit, at most {2} characters).",
    hint: "Rename it; the name is the ELF symbol and the skeleton's field.",
  },
  ObjectNameReserved: { code: 1027, message: "'{0}' cannot name a {1}: the BPF object uses it for {2}.", hint: "Rename it." },
  ObjectNameTwice: {
    code: 1028,
    message: "'{0}' names both a {1} and a {2} of this object: each program, map and global needs its own name.",
    hint: "Rename one of them (they are in the files this program imports).",
  },
  LabelNotAllowed: {
    code: 1023,
    message: "Labeled statements are not supported.",
    hint: "Restructure the loop, or move it into a helper that returns.",
  },

  // ---- 2xxx: types and conversions ------------------------------------------------------
  ImplicitNarrowing: {
    code: 2001,
    message: "Cannot convert '{0}' to '{1}' implicitly: the value may not fit.",
    hint: "Convert explicitly with {1}(…), which truncates.",
  },
  SignMix: {
    code: 2002,
    message: "Cannot mix signed '{0}' and unsigned '{1}'.",
    hint: "Convert one side explicitly, e.g. {1}(x) or {0}(x).",
  },
  ByteOrderMix: {
    code: 2003,
    message: "Cannot mix network-order '{0}' with '{1}'.",
    hint: "Convert with ntohs/ntohl (network to host) or htons/htonl (host to network).",
  },
  ConstantOutOfRange: {
    code: 2004,
    message: "Constant {0} does not fit in '{1}'.",
    hint: "Use a wider type, or convert explicitly with {1}(…) to truncate.",
  },
  UnsupportedType: {
    code: 2005,
    message: "Type '{0}' is not supported in .xdp.ts programs.",
    hint: "Use u8 … u64, i8 … i64, be16/be32/be64, bool, an interface (struct) or a view.",
  },
  NumberType: {
    code: 2006,
    message: "'number' has no size: give this value an integer type.",
    hint: "Use u8, u16, u32, u64, i8, i16, i32 or i64.",
  },
  ByteOrderArithmetic: {
    code: 2007,
    message: "Arithmetic on network-order '{0}' is not meaningful.",
    hint: "Convert to host order with ntohs/ntohl first, and back with htons/htonl.",
  },
  NotABoolean: {
    code: 2008,
    message: "A condition must be a bool, a comparison or a nullable view; got '{0}'.",
    hint: "Compare explicitly: x !== 0.",
  },
  StructFieldType: {
    code: 2009,
    message: "Field '{0}' has type '{1}', which cannot be laid out in a struct.",
    hint: "Struct fields are integers, nested interfaces or FixedArray<T, N> with a literal N.",
  },
  BitFieldType: {
    code: 2010,
    message: "Bit field '{0}' must be an unsigned integer of at most its storage width, with @bits between 1 and the storage width.",
  },
  FixedArrayIndex: {
    code: 2011,
    message: "Index into FixedArray<{0}, {1}> is not provably below {1}.",
    hint: "Check it first (if (i < {1})) or use a loop counter bounded by the length.",
  },
  ConstantRequired: { code: 2012, message: "{0} must be a compile-time constant." },
  BigIntNotAllowed: { code: 2013, message: "A bigint literal must be converted: write u64({0}) or i64({0})." },
  UnknownField: { code: 2015, message: "'{0}' has no field '{1}'." },
  AssignToConst: { code: 2016, message: "Cannot assign to '{0}': it is not a variable, a view field or a Ref's value." },
  HeaderNeedsStruct: {
    code: 2018,
    message: "ctx.header<{0}>() needs a struct type: a view is a struct laid over the packet.",
    hint: "Declare one, e.g. interface Word { value: {0} }, and read ctx.header<Word>(offset).value.",
  },
  StructCopy: {
    code: 2017,
    message: "Struct values are references: assign fields one by one, or use a helper that copies.",
    hint: "A view aliases the packet or map; a struct literal lives on the stack.",
  },
  LiteralTooLarge: {
    code: 2020,
    message: "Integer literal {0} does not fit in 64 bits.",
    hint: "The widest types are u64 (at most 0xffff_ffff_ffff_ffff) and i64.",
  },
  FixedArrayLength: {
    code: 2021,
    message: "FixedArray length {0} is not supported: it must be a whole number of at least 1, and the array at most {1} bytes.",
  },
  AlignTag: { code: 2022, message: "@align {0} is not supported: it must be a power of two from 1 to {1}." },
  TypeTooLarge: {
    code: 2023,
    message: "'{0}' is {1} bytes; a struct is at most {2} bytes.",
    hint: "The kernel refuses map values of more than a few MiB when the map is created.",
  },
  ConfigReadOnly: {
    code: 2019,
    message: "'{0}' is configuration (.rodata): programs can read it but not write it.",
    hint: "Set it from Node before load (skel.config.{0} = …), or declare it with global<T>() to share a mutable value.",
  },

  // ---- 3xxx: BPF limits -----------------------------------------------------------------
  UnboundedLoop: {
    code: 3001,
    message: "This loop has no bound the compiler can prove.",
    hint: "Write for (let i = 0; i < N; i++) with a constant N (the counter must not be assigned in the body).",
  },
  Recursion: {
    code: 3002,
    message: "Recursion is not supported: '{0}' calls itself through {1}.",
    hint: "BPF forbids recursive calls; rewrite with a bounded loop.",
  },
  StackTooLarge: {
    code: 3003,
    message: "Function '{0}' needs about {1} bytes of stack; BPF allows 512.",
    hint: "Keep large structs in a map (e.g. a PerCpuArray scratch entry) instead of on the stack.",
  },
  UncheckedNull: { code: 3004, message: "'{0}' may be null here: check it before use.", hint: "if ({0} === null) return XDP.PASS;" },
  StaleView: {
    code: 3005,
    message: "View '{0}' was invalidated by {1} at line {2}.",
    hint: "Every earlier packet view is stale after adjustHead/adjustTail/adjustMeta: take the view again with ctx.header<T>(…).",
  },
  TooManyArguments: { code: 3007, message: "Function '{0}' has {1} parameters; BPF calls take at most 5.", hint: "Pass a struct instead." },
  NullRemoved: {
    code: 3009,
    message: "{0} removes null from '{1}' without a check: the value may be null, and the kernel verifier rejects using it unchecked.",
    hint: "Keep the null and check it: const view = …; if (view === null) return XDP.PASS;",
  },
  NestingTooDeep: {
    code: 3010,
    message: "{0} nested more than {1} levels deep (expressions, statements and blocks inside each other): the compiler's limit.",
    hint: "Split it: move inner parts into local constants or helper functions; write a long else-if chain as a switch.",
  },
  SwitchTooLarge: {
    code: 3011,
    message: "This switch has {0} cases; the compiler's limit is {1}.",
    hint: "Look the value up in a map (HashMap or ArrayMap) instead: BPF has no jump tables, so a switch is a chain of compares.",
  },
  LoopTooLong: {
    code: 3008,
    message: "Loop bound {0} exceeds {1} iterations.",
    hint: "The verifier walks every iteration; keep loops short.",
  },

  // ---- 4xxx: maps and helpers -----------------------------------------------------------
  MapAtModuleLevel: {
    code: 4001,
    message: "Maps must be created at module level: export const name = new {0}<…>({ … }).",
    hint: "Move the map to the top of the file.",
  },
  MapOptionNotConstant: { code: 4002, message: "Map option '{0}' must be a constant.", hint: "Use a literal or a module-level const." },
  MapOptionMissing: { code: 4003, message: "Map '{0}' needs option '{1}'." },
  MapKeyType: {
    code: 4004,
    message: "Map key/value type '{0}' is not supported.",
    hint: "Keys and values are integers or structs (interfaces).",
  },
  MapMethod: { code: 4005, message: "'{0}' is not available on {1}." },
  MapAsValue: { code: 4006, message: "A map can only be used to call its methods, not as a value." },
  UnknownIntrinsic: { code: 4007, message: "'{0}' from \"tsxdp\" cannot be used in a program." },
  HelperArgument: { code: 4008, message: "Argument {0} of {1} must be {2}." },
  LpmKey: { code: 4009, message: "An LpmTrie key must be a struct whose first field is 'prefixlen: u32'." },
  GlobalAtModuleLevel: {
    code: 4011,
    message: "{0}(…) declares a global: write it at module level, export const NAME = {0}<T>(initial).",
    hint: "config values are set from Node before load; global values are shared with Node.",
  },
  MapOptionRange: { code: 4012, message: "Map option '{0}' must be between 1 and 4294967295; got {1}." },
  TailCallNeedsContext: {
    code: 4013,
    message: "tailCall() uses the XdpContext of the function it is in, and this function has none.",
    hint: "Call tailCall in the program, or give this helper a 'ctx: XdpContext' parameter and pass the program's ctx.",
  },
  PerCpuValueTooLarge: {
    code: 4014,
    message: "A {0} value is at most {1} bytes (the kernel's per-CPU unit); '{2}' is {3}.",
    hint: "Use the non-per-CPU map kind for large values, or split the value over several maps.",
  },
  LpmKeyTooLarge: {
    code: 4015,
    message: "An LpmTrie key is at most {0} bytes ('prefixlen' and {1} bytes of data); '{2}' is {3}.",
    hint: "The kernel's trie compares at most 256 bytes of data (2048 prefix bits).",
  },
  LogFormatNotConstant: {
    code: 4050,
    message: "log.{0}() needs a string literal format.",
    hint: 'Write the message in place, with {} where each argument goes: log.info("dropped port {}", port).',
  },
  LogArgumentCount: {
    code: 4051,
    message: "The format has {0} placeholder(s) but {1} argument(s) follow it.",
    hint: "Give one argument per {} (write {{ and }} for literal braces).",
  },
  LogArgumentType: {
    code: 4052,
    message: "Cannot log a value of type '{0}'.",
    hint: "Log integers (also be16/be32), bool, or FixedArray<u8, N> with N at most {1}; log a struct's fields one by one.",
  },
  LogPlaceholder: {
    code: 4053,
    message: "Invalid log placeholder '{0}'.",
    hint: "Placeholders: {} (by type), {:x} (hex), {:ipv4} (be32, u32 or FixedArray<u8, 4>), {:ipv6} (FixedArray<u8, 16>), {:mac} (FixedArray<u8, 6>); {{ and }} are literal braces.",
  },
  LogTooManyArguments: {
    code: 4054,
    message: "log.{0}() takes at most {1} arguments after the format.",
    hint: "Split the message into two log calls.",
  },
  RingBufOptions: { code: 4010, message: "RingBuf maxBytes must be a power of two and a multiple of 4096; got {0}." },

  // ---- 5xxx: toolchain, verifier, loader ------------------------------------------------
  LlvmNotFound: {
    code: 5001,
    message: "LLVM tools 'opt' and 'llc' (version 14 or newer) were not found.",
    hint: "Install them: apt-get install llvm (or set TSXDP_LLVM_DIR to the folder holding opt and llc).",
  },
  LlvmFailed: { code: 5002, message: "LLVM failed on the generated IR: {0}" },
  VerifierRejected: { code: 5003, message: "The kernel verifier rejected program '{0}': {1}" },
  LoadFailed: { code: 5004, message: "Loading '{0}' into the kernel failed: {1}" },
  EditorTypeScriptMismatch: {
    code: 5006,
    message: "tsxdp's checks are off in this editor: it runs TypeScript {0}, and tsxdp's compiler is built on TypeScript {1} ({2}).",
    hint: "Use the project's TypeScript (VS Code: 'TypeScript: Select TypeScript Version' → 'Use Workspace Version') and install typescript@{1} in the project.",
  },
  UnsupportedTypeScript: {
    code: 5007,
    message: "This project installs TypeScript {0}; tsxdp supports {1}: {2}.",
    hint: "Install the supported version: npm install --save-dev typescript@{3}",
  },
  OutputNotWritable: { code: 5008, message: "Cannot write the output '{0}': {1}.", hint: "Give -o (outDir) a folder you can write to." },
  OutputNameClash: {
    code: 5009,
    message: "'{0}' and '{1}' would both be written as '{2}'.",
    hint: "Build them into different folders (-o), or rename one of them.",
  },
  NoPrograms: { code: 5005, message: "No XDP program found: export a function (ctx: XdpContext): XDP." },

  // ---- 9xxx: internal -------------------------------------------------------------------
  InternalError: {
    code: 9001,
    message: "Internal compiler error while compiling this: {0}",
    hint: "Please report it with this file; the compiler continued with the next declaration.",
  },
} as const satisfies Record<string, DiagnosticTemplate>;

/**
 * Codes once in the table and never to be given to another diagnostic, with why they went.
 * A code stays here for good: tools and users may have it in notes and suppressions.
 */
export const retiredCodes: Readonly<Record<number, string>> = {
  2014: "DivisionSigned: signed division is lowered without a warning (the subset has no warnings); it was never reported",
  3006: "ViewEscapes: a view cannot reach a map or a struct: struct fields and map values are checked as TSX2009, TSX2017 and TSX4004",
};

export interface TsxDiagnostic {
  readonly code: number;
  readonly category: ts.DiagnosticCategory;
  readonly message: string;
  readonly hint?: string;
  readonly file?: ts.SourceFile;
  readonly start?: number;
  readonly length?: number;
  /** "TSX" for ours, "TS" for TypeScript's own. */
  readonly prefix: "TSX" | "TS";
  /** The template's `{0}`… arguments (the editor's code fixes read them). */
  readonly args?: readonly (string | number)[];
}

function format(text: string, args: readonly (string | number)[]): string {
  return text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ""));
}

export function makeDiagnostic(template: DiagnosticTemplate, node: ts.Node | undefined, ...args: (string | number)[]): TsxDiagnostic {
  const file = node?.getSourceFile();
  const start = node && file ? node.getStart(file) : undefined;
  return makeDiagnosticAt(template, file, start, node && file ? node.getEnd() - start! : undefined, ...args);
}

/** A diagnostic at a span rather than a node (e.g. beside one of TypeScript's). */
export function makeDiagnosticAt(
  template: DiagnosticTemplate,
  file: ts.SourceFile | undefined,
  start: number | undefined,
  length: number | undefined,
  ...args: (string | number)[]
): TsxDiagnostic {
  return {
    code: template.code,
    category: ts.DiagnosticCategory.Error,
    message: format(template.message, args),
    hint: template.hint === undefined ? undefined : format(template.hint, args),
    file,
    start,
    length,
    prefix: "TSX",
    args,
  };
}

export function fromTypeScript(d: ts.Diagnostic): TsxDiagnostic {
  return {
    code: d.code,
    category: d.category,
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    file: d.file,
    start: d.start,
    length: d.length,
    prefix: "TS",
  };
}

/** tsc's `--pretty false` format, plus the source line, a caret and the hint. */
export function formatDiagnostic(d: TsxDiagnostic, cwd = process.cwd()): string {
  const kind = ts.DiagnosticCategory[d.category].toLowerCase();
  const head = `${kind} ${d.prefix}${d.code}: ${d.message}`;
  if (!d.file || d.start === undefined) return d.hint ? `${head}\n  hint: ${d.hint}` : head;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const name = relativeName(d.file.fileName, cwd);
  const lines = [`${name}:${line + 1}:${character + 1} - ${head}`];
  const text = d.file.text.split(/\r?\n/)[line] ?? "";
  const width = Math.max(1, Math.min(d.length ?? 1, text.length - character));
  lines.push(`  ${line + 1} | ${text}`, `  ${" ".repeat(String(line + 1).length)} | ${" ".repeat(character)}${"~".repeat(width)}`);
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}

function relativeName(fileName: string, cwd: string): string {
  return fileName.startsWith(cwd + "/") ? fileName.slice(cwd.length + 1) : fileName;
}

/**
 * Reading order, as tsc prints: diagnostics without a place (options, toolchain) first, then
 * by file name and position. The passes report in pass order (TypeScript's, then the subset's,
 * then the lowering's), which would put a later line's error before an earlier one's.
 */
export function compareDiagnostics(a: TsxDiagnostic, b: TsxDiagnostic): number {
  const fileA = a.file?.fileName ?? "",
    fileB = b.file?.fileName ?? "";
  if (fileA !== fileB) return fileA < fileB ? -1 : 1;
  return (a.start ?? -1) - (b.start ?? -1) || a.code - b.code;
}

export function diagnosticLine(d: TsxDiagnostic): number | undefined {
  if (!d.file || d.start === undefined) return undefined;
  return d.file.getLineAndCharacterOfPosition(d.start).line + 1;
}
