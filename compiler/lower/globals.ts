// Module-level configuration and globals:
//   export const PORT = config<u16>(53);              → `.rodata` (libbpf's const volatile), set from Node before load
//   export const limits = config<Limits>({ … });      → a struct (or FixedArray) in `.rodata`, read-only in programs
//   export const seen = global<u64>(0);               → `.data`/`.bss`, read and written by both sides (a Ref)
//   export const stats = global<Stats>();             → a struct view in `.data`/`.bss`
// Reads of a scalar config value are volatile loads, so LLVM never folds the default into
// the code (the loader rewrites .rodata before the verifier sees it). A struct config is
// emitted as a non-constant global in `.rodata` for the same reason: LLVM cannot fold
// loads from a global it may not assume constant, and libbpf finds `.rodata` by name.
// Initial values are constant object/array literals, laid out to bytes here (zero-filled,
// padding included); an all-zero global goes to `.bss`.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import {
  type FieldType,
  type IntType,
  Int,
  intFromType,
  isBooleanType,
  typeArguments,
  llInt,
  fieldSize,
  fieldAlign,
  intName,
  wrapTo,
  intRange,
} from "../types.js";
import { type GlobalDefinition, globalKindOf } from "../object-model.js";
import type { ModuleState } from "./context.js";
import { evaluateConstantExpression } from "./constants.js";

export function readGlobalDeclaration(
  state: ModuleState,
  decl: ts.VariableDeclaration,
  evalConstant: (e: ts.Expression) => bigint | undefined,
): GlobalDefinition | undefined {
  const call = decl.initializer;
  const kind = call && globalKindOf(call, state.checker);
  if (!kind || !ts.isCallExpression(call!)) return undefined;
  const name = decl.name.getText();
  // The value type: the explicit type argument (needed for structs), else what the call gives.
  const typeNode = call.typeArguments?.[0];
  const callType = state.checker.getTypeAtLocation(call);
  const valueType = typeNode
    ? state.checker.getTypeFromTypeNode(typeNode)
    : kind === "global"
      ? typeArguments(callType, state.checker)[0]
      : callType;
  const int = valueType ? intFromType(valueType, state.checker) : undefined;
  const isBool = valueType ? isBooleanType(valueType) : false;
  const aggregate = !int && !isBool && valueType ? state.layouts.fieldTypeOf(valueType, typeNode ?? call, name) : undefined;
  // An int through the layouts too: a const enum variable keeps its enum (BTF and the skeleton name it).
  const type: FieldType | undefined = int
    ? (state.layouts.fieldTypeOf(valueType!, typeNode ?? call, name) ?? { kind: "int", int })
    : isBool
      ? { kind: "bool" }
      : aggregate?.kind === "struct" || aggregate?.kind === "array"
        ? aggregate
        : undefined;
  if (!type) {
    state.reporter.error(Diagnostics.UnsupportedType, typeNode ?? call, valueType ? state.checker.typeToString(valueType) : "unknown");
    return undefined;
  }
  const initExpr = call.arguments[0];
  if (type.kind === "struct" || type.kind === "array") {
    const layout = type.kind === "struct" ? type.struct : type.array;
    const bytes = new Uint8Array(layout.size);
    // A bad initial value is reported and the global kept (zero), so its uses do not also fail.
    if (initExpr && !writeInitial(state, type, initExpr, new DataView(bytes.buffer), 0, evalConstant)) bytes.fill(0);
    const section = kind === "config" ? ".rodata" : bytes.every((b) => b === 0) ? ".bss" : ".data";
    return { name, kind, type, layout, initial: 0n, bytes, global: `@${name}`, section, declaration: decl };
  }
  let initial = initExpr ? evalConstantOrBool(initExpr, evalConstant) : 0n;
  if (initial === undefined) {
    state.reporter.error(Diagnostics.ConstantRequired, initExpr!, "The initial value");
    initial = 0n;
  } else if (int && !initialFits(state, initExpr!, initial, int)) {
    state.reporter.error(
      int.be ? Diagnostics.ByteOrderMix : Diagnostics.ConstantOutOfRange,
      initExpr!,
      ...(int.be ? [intName(int), "an integer constant"] : [initial.toString(), intName(int)]),
    );
    initial = 0n;
  }
  const section = kind === "config" ? ".rodata" : initial === 0n ? ".bss" : ".data";
  return { name, kind, type, int, initial, global: `@${name}`, section, declaration: decl };
}

function evalConstantOrBool(e: ts.Expression, evalConstant: (e: ts.Expression) => bigint | undefined): bigint | undefined {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) e = e.expression;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return 1n;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return 0n;
  return evalConstant(e);
}

/**
 * Whether constant `e` (value `v`) may initialise a `t`. A network-order value is written
 * with htons/htonl/htonll (folded to the swapped value) or is 0; any other literal would be
 * a byte-order mix, as in a function body.
 */
function initialFits(state: ModuleState, e: ts.Expression, v: bigint, t: IntType): boolean {
  if (t.be) {
    if (v === 0n) return true;
    const typed = evaluateConstantExpression(state, e);
    return typed?.ty.kind === "int" && typed.ty.int.be && typed.ty.int.bits === t.bits;
  }
  const [lo, hi] = intRange(t);
  return v >= lo && v <= hi;
}

/** Lays a constant initial value out at `offset`; false (reported) when it is not constant. */
function writeInitial(
  state: ModuleState,
  type: FieldType,
  expr: ts.Expression,
  view: DataView,
  offset: number,
  evalConstant: (e: ts.Expression) => bigint | undefined,
): boolean {
  while (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) expr = expr.expression;
  switch (type.kind) {
    case "int":
    case "bool": {
      const v = evalConstantOrBool(expr, evalConstant);
      if (v === undefined) {
        state.reporter.error(Diagnostics.ConstantRequired, expr, "An initial value");
        return false;
      }
      if (type.kind === "bool") {
        view.setUint8(offset, v ? 1 : 0);
        return true;
      }
      if (!initialFits(state, expr, v, type.int)) {
        if (type.int.be) state.reporter.error(Diagnostics.ByteOrderMix, expr, intName(type.int), "an integer constant");
        else state.reporter.error(Diagnostics.ConstantOutOfRange, expr, v.toString(), intName(type.int));
        return false;
      }
      // Integers are stored as the program's registers hold them (little endian); a
      // network-order constant is already swapped by htons/htonl (see intrinsics' byteSwap).
      writeInt(view, offset, type.int, v);
      return true;
    }
    case "array": {
      if (!ts.isArrayLiteralExpression(expr)) {
        state.reporter.error(
          Diagnostics.ConstantRequired,
          expr,
          `The initial value of a FixedArray (an array literal of at most ${type.array.length} constants)`,
        );
        return false;
      }
      if (expr.elements.length > type.array.length) {
        state.reporter.error(Diagnostics.ConstantRequired, expr, `An array literal of at most ${type.array.length} elements`);
        return false;
      }
      const size = fieldSize(type.array.element);
      return expr.elements.every((e, i) => writeInitial(state, type.array.element, e, view, offset + i * size, evalConstant));
    }
    case "struct": {
      if (!ts.isObjectLiteralExpression(expr)) {
        state.reporter.error(
          Diagnostics.ConstantRequired,
          expr,
          `The initial value of struct ${type.struct.name} (an object literal of constants)`,
        );
        return false;
      }
      let ok = true;
      for (const property of expr.properties) {
        if (!ts.isPropertyAssignment(property) || !(ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
          state.reporter.error(Diagnostics.ConstantRequired, property, "Each field of an initial value (name: constant)");
          ok = false;
          continue;
        }
        const field = type.struct.fields.find((f) => f.name === property.name.getText().replace(/^["']|["']$/g, ""));
        if (!field) {
          state.reporter.error(Diagnostics.UnknownField, property.name, type.struct.name, property.name.getText());
          ok = false;
          continue;
        }
        if (field.bitField) {
          const v = evalConstant(property.initializer);
          if (v === undefined || v < 0n || v >= 1n << BigInt(field.bitField.bits)) {
            state.reporter.error(
              v === undefined ? Diagnostics.ConstantRequired : Diagnostics.ConstantOutOfRange,
              property.initializer,
              ...(v === undefined ? ["An initial value"] : [v.toString(), `${field.bitField.bits} bits`]),
            );
            ok = false;
            continue;
          }
          const storage = field.bitField.storage;
          const old = readInt(view, offset + field.offset, storage);
          writeInt(view, offset + field.offset, storage, old | (v << BigInt(field.bitField.bitOffset)));
          continue;
        }
        ok = writeInitial(state, field.type, property.initializer, view, offset + field.offset, evalConstant) && ok;
      }
      return ok;
    }
  }
}

function writeInt(view: DataView, offset: number, t: IntType, v: bigint): void {
  const u = wrapTo(v, { ...t, signed: false });
  switch (t.bits) {
    case 8:
      view.setUint8(offset, Number(u));
      break;
    case 16:
      view.setUint16(offset, Number(u), true);
      break;
    case 32:
      view.setUint32(offset, Number(u), true);
      break;
    default:
      view.setBigUint64(offset, u, true);
  }
}

function readInt(view: DataView, offset: number, t: IntType): bigint {
  switch (t.bits) {
    case 8:
      return BigInt(view.getUint8(offset));
    case 16:
      return BigInt(view.getUint16(offset, true));
    case 32:
      return BigInt(view.getUint32(offset, true));
    default:
      return view.getBigUint64(offset, true);
  }
}

export function emitGlobal(state: ModuleState, g: GlobalDefinition): void {
  const { module: m, debug } = state;
  const file = g.declaration.getSourceFile();
  const line = file.getLineAndCharacterOfPosition(g.declaration.getStart()).line + 1;
  const diType = debug.fieldType(g.type);
  const typeRef =
    g.kind === "config"
      ? m.meta(
          `!DIDerivedType(tag: DW_TAG_const_type, baseType: ${m.meta(`!DIDerivedType(tag: DW_TAG_volatile_type, baseType: ${diType})`)})`,
        )
      : diType;
  const dbg = debug.globalVariable(g.name, typeRef, file.fileName, line);
  if (g.layout && g.bytes) {
    // Always a (non-constant) global, also in .rodata: see the comment at the top.
    const init = g.bytes.every((b) => b === 0)
      ? "zeroinitializer"
      : `c"${[...g.bytes].map((b) => "\\" + b.toString(16).padStart(2, "0").toUpperCase()).join("")}"`;
    m.addGlobal(
      `${g.global} = dso_local global [${g.bytes.length} x i8] ${init}, section "${g.section}", align ${Math.max(1, fieldAlign(g.type))}, !dbg ${dbg}`,
      g.global,
      true,
    );
    return;
  }
  const int = g.int ?? Int.u8;
  const storage = g.kind === "config" ? "constant" : "global";
  const value = BigInt.asIntN(int.bits, g.initial).toString();
  m.addGlobal(
    `${g.global} = dso_local ${storage} ${llInt(int)} ${value}, section "${g.section}", align ${int.bits / 8}, !dbg ${dbg}`,
    g.global,
    true,
  );
}
