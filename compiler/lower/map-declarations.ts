// BTF-defined maps: `export const m = new HashMap<K, V>({ maxEntries: N })` becomes a global
// in section ".maps" whose debug type is the struct libbpf expects — the equivalent of
// C's `struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, K); … } m SEC(".maps");`.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { type FieldType, fieldSize, Int, intFromType, isBooleanType, stdlibName, typeArguments } from "../types.js";
import { type MapDefinition, type MapKind, mapKindOf } from "../object-model.js";
import type { ModuleState, Reporter } from "./context.js";

/** PCPU_MIN_UNIT_SIZE: a per-CPU map value, rounded up to 8 bytes, is at most this. */
const perCpuUnitBytes = 32 * 1024;
/** LPM_KEY_SIZE_MAX: prefixlen (4 bytes) and LPM_DATA_SIZE_MAX (256 bytes). */
const lpmKeyBytes = 4 + 256;
const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Reads a map declaration; undefined (with a diagnostic) when it is not a valid one. */
export function readMapDeclaration(
  state: ModuleState,
  decl: ts.VariableDeclaration,
  evalConstant: (e: ts.Expression) => bigint | undefined,
): MapDefinition | undefined {
  const { checker, reporter } = state;
  const init = decl.initializer;
  if (!init || !ts.isNewExpression(init)) return undefined;
  const type = checker.getTypeAtLocation(init);
  const className = stdlibName(type);
  const kind = mapKindOf(className);
  if (!className || !kind) return undefined;
  const name = decl.name.getText();
  const args = typeArguments(type, checker);
  const fieldOf = (t: ts.Type | undefined, what: string): FieldType | undefined => {
    if (!t) return undefined;
    // Through the layouts, as a struct field: a const enum key or value keeps its enum (BTF
    // and the skeleton name it).
    if (intFromType(t, checker)) return state.layouts.fieldTypeOf(t, decl, what);
    if (isBooleanType(t)) return { kind: "bool" };
    const layout = state.layouts.layoutOf(t, decl);
    if (layout?.kind === "struct" && layout.size === 0) {
      // The kernel refuses a zero-sized key or value when it creates the map (EINVAL).
      reporter.error(Diagnostics.MapKeyType, init, `${what} ${checker.typeToString(t)} (a struct without fields has no bytes)`);
      return undefined;
    }
    if (layout?.kind === "struct") return { kind: "struct", struct: layout };
    if (layout?.kind === "array") return { kind: "array", array: layout };
    reporter.error(Diagnostics.MapKeyType, init, `${what} ${checker.typeToString(t)}`);
    return undefined;
  };
  const pick = (from: MapKind["keyFrom"] | MapKind["valueFrom"], what: string): FieldType | undefined =>
    from === "arg0"
      ? fieldOf(args[0], what)
      : from === "arg1"
        ? fieldOf(args[1], what)
        : from === "u32"
          ? { kind: "int", int: Int.u32 }
          : undefined;

  const options = readOptions(init, reporter, evalConstant);
  const maxEntries = className === "RingBuf" ? options.maxBytes : options.maxEntries;
  if (options.invalid) return undefined;
  if (maxEntries === undefined) {
    reporter.error(Diagnostics.MapOptionMissing, init, name, className === "RingBuf" ? "maxBytes" : "maxEntries");
    return undefined;
  }
  if (maxEntries < 1 || maxEntries > 0xffff_ffff) {
    reporter.error(Diagnostics.MapOptionRange, init, className === "RingBuf" ? "maxBytes" : "maxEntries", maxEntries);
    return undefined;
  }
  if (className === "RingBuf" && (maxEntries & (maxEntries - 1) || maxEntries % 4096)) {
    reporter.error(Diagnostics.RingBufOptions, init, maxEntries);
  }
  const key = pick(kind.keyFrom, "key");
  const value = pick(kind.valueFrom, "value");
  // A key or value type already reported: no map, so its uses are not lowered against a
  // half-made definition (the map's symbol is poisoned instead).
  if ((kind.keyFrom !== "none" && !key) || (kind.valueFrom !== "none" && !value)) return undefined;
  if (
    className === "LpmTrie" &&
    !(
      key?.kind === "struct" &&
      key.struct.fields[0]?.name === "prefixlen" &&
      key.struct.fields[0].type.kind === "int" &&
      key.struct.fields[0].type.int.bits === 32
    )
  ) {
    reporter.error(Diagnostics.LpmKey, init);
  }
  // Limits the kernel checks only when it creates the map (E2BIG, EINVAL at load).
  if (kind.perCpu && value && roundUp(fieldSize(value), 8) > perCpuUnitBytes)
    reporter.error(
      Diagnostics.PerCpuValueTooLarge,
      init,
      className,
      perCpuUnitBytes,
      checker.typeToString(args[kind.valueFrom === "arg1" ? 1 : 0]!),
      fieldSize(value),
    );
  if (className === "LpmTrie" && key && fieldSize(key) > lpmKeyBytes)
    reporter.error(Diagnostics.LpmKeyTooLarge, init, lpmKeyBytes, lpmKeyBytes - 4, checker.typeToString(args[0]!), fieldSize(key));
  return {
    name,
    className,
    kind,
    key,
    value,
    record: className === "RingBuf" ? fieldOf(args[0], "record") : undefined,
    maxEntries,
    flags: (options.flags ?? 0) | (kind.flags ?? 0),
    pinByName: options.pinning === "byName",
    declaration: decl,
    global: `@${name}`,
  };
}

interface MapOptionsRead {
  maxEntries?: number;
  maxBytes?: number;
  flags?: number;
  pinning?: string;
  /** An option was present but not a constant (already reported). */
  invalid?: boolean;
}

function readOptions(init: ts.NewExpression, reporter: Reporter, evalConstant: (e: ts.Expression) => bigint | undefined): MapOptionsRead {
  const out: MapOptionsRead = {};
  const arg = init.arguments?.[0];
  if (!arg || !ts.isObjectLiteralExpression(arg)) return out;
  for (const p of arg.properties) {
    if (!ts.isPropertyAssignment(p)) {
      reporter.error(Diagnostics.MapOptionNotConstant, p, p.name?.getText() ?? "?");
      continue;
    }
    const key = p.name.getText();
    if (key === "pinning") {
      if (ts.isStringLiteral(p.initializer)) out.pinning = p.initializer.text;
      else reporter.error(Diagnostics.MapOptionNotConstant, p.initializer, key);
      continue;
    }
    const v = evalConstant(p.initializer);
    if (v === undefined) {
      reporter.error(Diagnostics.MapOptionNotConstant, p.initializer, key);
      out.invalid = true;
      continue;
    }
    if (key === "maxEntries" || key === "maxBytes" || key === "flags") out[key] = Number(v);
  }
  return out;
}

/** Emits the map's `.maps` global and its BTF-shaped debug type. */
export function emitMap(state: ModuleState, map: MapDefinition): void {
  const { module: m, debug } = state;
  const members: { name: string; type: string }[] = [
    { name: "type", type: debug.mapAttribute(map.kind.bpfType) },
    { name: "max_entries", type: debug.mapAttribute(map.maxEntries) },
  ];
  if (map.flags) members.push({ name: "map_flags", type: debug.mapAttribute(map.flags) });
  // Array-like maps of redirect targets are declared by size (as C does with __uint(key_size)),
  // so libbpf accepts value layouts the kernel defines (bpf_devmap_val, bpf_cpumap_val).
  if (map.kind.redirect || map.className === "ProgArray") {
    members.push({ name: "key_size", type: debug.mapAttribute(4) });
    members.push({ name: "value_size", type: debug.mapAttribute(4) });
  } else {
    if (map.key) members.push({ name: "key", type: debug.pointer(debug.fieldType(map.key)) });
    if (map.value) members.push({ name: "value", type: debug.pointer(debug.fieldType(map.value)) });
  }
  if (map.pinByName) members.push({ name: "pinning", type: debug.mapAttribute(1) });
  const file = map.declaration.getSourceFile();
  emitMapGlobal(state, map.name, members, file.fileName, file.getLineAndCharacterOfPosition(map.declaration.getStart()).line + 1);
}

/** A `.maps` global `@name` whose debug type is the struct of `members` (each a pointer-sized attribute). */
export function emitMapGlobal(
  state: ModuleState,
  name: string,
  members: readonly { name: string; type: string }[],
  fileName: string,
  line: number,
): void {
  const { module: m, debug } = state;
  const structRef = m.reserveMeta();
  const memberRefs = members.map((mem, i) =>
    m.meta(
      `!DIDerivedType(tag: DW_TAG_member, name: "${mem.name}", scope: ${structRef}, file: ${debug.file(fileName)}, line: ${line}, baseType: ${mem.type}, size: 64, offset: ${i * 64})`,
    ),
  );
  m.fillMeta(
    structRef,
    `distinct !DICompositeType(tag: DW_TAG_structure_type, file: ${debug.file(fileName)}, line: ${line}, size: ${members.length * 64}, elements: ${m.meta(`!{${memberRefs.join(", ")}}`)})`,
  );
  const dbg = debug.globalVariable(name, structRef, fileName, line);
  const llStruct = `{ ${members.map(() => "ptr").join(", ")} }`;
  m.addGlobal(`@${name} = dso_local global ${llStruct} zeroinitializer, section ".maps", align 8, !dbg ${dbg}`, `@${name}`, true);
}
