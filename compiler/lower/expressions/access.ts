// Names and member access: locals, module constants and enum members, maps, context fields
// (`ctx.len`, `ctx.ingressIfindex`, `ctx.rxQueueIndex`), struct fields of views, a Ref's
// `.value`, and FixedArray elements whose index the compiler can prove in range.
import ts from "typescript";
import { Diagnostics } from "../../diagnostics.js";
import { type ArrayLayout, Int, intTy, fieldSize, describeTy, llInt } from "../../types.js";
import type { GlobalDefinition } from "../../object-model.js";
import { type FunctionState, type Value, constValue, poisonedValue, viewAlign, alignAt } from "../context.js";
import { type Place, load, offsetPointer } from "../places.js";
import { lowerExpression } from "./index.js";
import { loadContextField } from "../packet.js";
import { convertImplicit } from "../integers.js";
import { evalConstant } from "../constants.js";

/** Offsets of struct xdp_md fields. */
export const XdpMd = { data: 0, dataEnd: 4, dataMeta: 8, ingressIfindex: 12, rxQueueIndex: 16, egressIfindex: 20 } as const;

export function lowerIdentifier(fs: FunctionState, node: ts.Identifier): Value {
  if (node.text === "undefined") return { ty: { kind: "null" }, ir: "null" };
  const symbol = fs.symbolOf(node);
  if (!symbol) {
    fs.error(Diagnostics.UnsupportedSyntax, node, `'${node.text}'`);
    return constValue(0n);
  }
  const local = fs.locals.get(symbol);
  if (local?.kind === "constant") return local.value;
  if (local?.kind === "slot") {
    const value = load(fs, { kind: "slot", ptr: local.ptr, ty: local.ty, name: local.name, symbol }, node);
    return local.max === undefined ? value : { ...value, max: local.max };
  }
  const map = fs.mod.maps.get(symbol);
  if (map) return { ty: { kind: "map", mapName: map.name }, ir: map.global };
  const global = fs.mod.globals.get(symbol);
  if (global) return lowerGlobal(fs, global);
  const constant = fs.mod.moduleConstant(symbol);
  if (constant) return constant;
  if (symbol.flags & ts.SymbolFlags.Function) {
    fs.error(Diagnostics.ClosureNotAllowed, node);
    return constValue(0n);
  }
  // A declaration already reported as an error: no second error for each use.
  if (fs.poisonedLocals.has(symbol) || fs.mod.poisoned.has(symbol)) return poisonedValue;
  fs.error(Diagnostics.UnsupportedSyntax, node, `A reference to '${node.text}'`);
  return constValue(0n);
}

function lowerGlobal(fs: FunctionState, g: GlobalDefinition): Value {
  // A struct or FixedArray global is a view of its section, as a map value is; a config
  // view is marked read-only (the verifier rejects stores into the frozen .rodata map).
  if (g.layout) return { ty: { kind: "view", layout: g.layout, nullable: false }, ir: g.global, readonlyConfig: g.kind === "config" ? g.name : undefined };
  if (g.kind === "global") return { ty: g.int ? { kind: "ref", int: g.int, nullable: false } : { kind: "ref", int: Int.u8, nullable: false, bool: true }, ir: g.global };
  // A volatile load: the default must not be folded, the loader rewrites .rodata.
  if (!g.int) {
    const byte = fs.fb.value(`load volatile i8, ptr ${g.global}, align 1`);
    return { ty: { kind: "bool" }, ir: fs.fb.value(`icmp ne i8 ${byte}, 0`) };
  }
  return { ty: intTy(g.int), ir: fs.fb.value(`load volatile ${llInt(g.int)}, ptr ${g.global}, align ${g.int.bits / 8}`) };
}

export function lowerPropertyAccess(fs: FunctionState, node: ts.PropertyAccessExpression): Value {
  const enumValue = fs.checker.getConstantValue(node);
  if (typeof enumValue === "number") return constValue(BigInt(enumValue));
  if (node.questionDotToken) fs.error(Diagnostics.OptionalChainingNotAllowed, node);
  const base = lowerExpression(fs, node.expression);
  const name = node.name.text;
  if (base.ty.kind === "ctx") return lowerContextField(fs, base.ir, name, node);
  if (base.ty.kind === "view" && base.ty.layout.kind === "array" && name === "length") return constValue(BigInt(base.ty.layout.length));
  const place = placeOfMember(fs, base, name, node);
  return place ? load(fs, place, node) : constValue(0n);
}

function lowerContextField(fs: FunctionState, ctx: string, name: string, node: ts.Node): Value {
  const fb = fs.fb;
  const field = (offset: number) => loadContextField(fs, ctx, offset);
  switch (name) {
    case "len": {
      // Loaded here (volatile: never merged with the function's data/data_end), not taken
      // from the function's packet bounds: those are i32 values, and when one stayed alive
      // across a helper call in a branch (`if (…) log.info("{}", ctx.len)` twice) LLVM
      // spilled it with a 4-byte store, which the verifier refuses for a packet pointer
      // ("invalid size of register spill").
      const data = field(XdpMd.data);
      const end = field(XdpMd.dataEnd);
      // The difference of two packet pointers is a scalar to the verifier, but LLVM would
      // re-associate `x + (end - data)` into `(x - data) + end`: arithmetic on a packet
      // pointer in 32-bit ALU ops, which the verifier rejects. The passthrough keeps the
      // difference whole.
      const len = fb.value(`sub i32 ${end}, ${data}`);
      fs.mod.module.declare("declare i32 @llvm.bpf.passthrough.i32.i32(i32, i32)");
      return { ty: intTy(Int.u32), ir: fb.value(`call i32 @llvm.bpf.passthrough.i32.i32(i32 ${fs.mod.nextPassthroughSeq()}, i32 ${len})`) };
    }
    case "ingressIfindex": return { ty: intTy(Int.u32), ir: field(XdpMd.ingressIfindex) };
    case "rxQueueIndex": return { ty: intTy(Int.u32), ir: field(XdpMd.rxQueueIndex) };
    default:
      fs.error(Diagnostics.UnsupportedSyntax, node, `ctx.${name} outside a call`);
      return constValue(0n);
  }
}

/** The place of `base.name` (a struct field or a Ref's value). */
export function placeOfMember(fs: FunctionState, base: Value, name: string, node: ts.Node): Place | undefined {
  if (base.poisoned) return undefined;
  if (base.ty.kind === "ref") {
    if (name !== "value") {
      fs.error(Diagnostics.UnknownField, node, describeTy(base.ty), name);
      return undefined;
    }
    return { kind: "memory", ptr: base.ir, field: base.ty.bool ? { kind: "bool" } : { kind: "int", int: base.ty.int }, name, region: base.region };
  }
  if (base.ty.kind === "view" && base.ty.layout.kind === "struct") {
    const field = base.ty.layout.fields.find((f) => f.name === name);
    if (!field) {
      fs.error(Diagnostics.UnknownField, node, base.ty.layout.name, name);
      return undefined;
    }
    return { kind: "memory", ptr: offsetPointer(fs, base.ir, field.offset), field: field.type, bitField: field.bitField, name, epoch: base.epoch, readonlyConfig: base.readonlyConfig, align: alignAt(viewAlign(base), field.offset), region: base.region };
  }
  if (base.ty.kind === "map") fs.error(Diagnostics.MapAsValue, node);
  else fs.error(Diagnostics.UnknownField, node, describeTy(base.ty), name);
  return undefined;
}

export function lowerElementAccess(fs: FunctionState, node: ts.ElementAccessExpression): Value {
  const place = placeOfElement(fs, node);
  return place ? load(fs, place, node) : constValue(0n);
}

export function placeOfElement(fs: FunctionState, node: ts.ElementAccessExpression): Place | undefined {
  const base = lowerExpression(fs, node.expression);
  if (base.ty.kind !== "view" || base.ty.layout.kind !== "array") {
    fs.error(Diagnostics.DynamicArrayNotAllowed, node);
    return undefined;
  }
  const array = base.ty.layout;
  const index = lowerExpression(fs, node.argumentExpression);
  if (!indexProvablyInRange(fs, node.argumentExpression, index, array)) {
    fs.error(Diagnostics.FixedArrayIndex, node.argumentExpression, elementName(array), array.length);
    return undefined;
  }
  const elementSize = fieldSize(array.element);
  let ptr: string;
  if (index.constant !== undefined) {
    ptr = offsetPointer(fs, base.ir, Number(index.constant) * elementSize);
  } else {
    const wide = convertImplicit(fs, index, intTy(Int.u64), node.argumentExpression);
    const scaled = elementSize === 1 ? wide.ir : fs.fb.value(`mul i64 ${wide.ir}, ${elementSize}`);
    ptr = fs.fb.value(`getelementptr inbounds i8, ptr ${base.ir}, i64 ${scaled}`);
  }
  const offset = index.constant !== undefined ? Number(index.constant) * elementSize : elementSize;
  return { kind: "memory", ptr, field: array.element, name: `${node.expression.getText()}[…]`, epoch: base.epoch, readonlyConfig: base.readonlyConfig, align: alignAt(viewAlign(base), offset), region: base.region };
}

function elementName(a: ArrayLayout): string {
  return a.element.kind === "int" ? `${a.element.int.signed ? "i" : "u"}${a.element.int.bits}` : a.element.kind;
}

/** Constants, loop counters whose loop bounds them, and `x % N` / `x & mask` below N. */
function indexProvablyInRange(fs: FunctionState, expr: ts.Expression, index: Value, array: ArrayLayout): boolean {
  const n = BigInt(array.length);
  if (index.constant !== undefined) return index.constant >= 0n && index.constant < n;
  if (index.ty.kind === "int" && index.ty.int.signed) return false;
  while (ts.isParenthesizedExpression(expr)) expr = expr.expression;
  if (ts.isIdentifier(expr)) {
    const symbol = fs.symbolOf(expr);
    const range = symbol && fs.counterRanges.get(symbol);
    return range !== undefined && range.min >= 0n && range.max < n;
  }
  if (ts.isBinaryExpression(expr)) {
    const right = evalConstant(fs, expr.right);
    if (right === undefined) return false;
    if (expr.operatorToken.kind === ts.SyntaxKind.PercentToken) return right > 0n && right <= n;
    if (expr.operatorToken.kind === ts.SyntaxKind.AmpersandToken) return right >= 0n && right < n;
  }
  return false;
}


/** The place an assignment target denotes, or undefined (reported) when it has none. */
export function lowerPlace(fs: FunctionState, node: ts.Expression): Place | undefined {
  while (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) node = node.expression;
  fs.at(node);
  if (ts.isIdentifier(node)) {
    const symbol = fs.symbolOf(node);
    const local = symbol && fs.locals.get(symbol);
    if (local?.kind === "slot") return { kind: "slot", ptr: local.ptr, ty: local.ty, name: local.name, symbol: symbol! };
    fs.error(Diagnostics.AssignToConst, node, node.text);
    return undefined;
  }
  if (ts.isPropertyAccessExpression(node)) {
    const base = lowerExpression(fs, node.expression);
    return placeOfMember(fs, base, node.name.text, node);
  }
  if (ts.isElementAccessExpression(node)) return placeOfElement(fs, node);
  fs.error(Diagnostics.AssignToConst, node, node.getText());
  return undefined;
}
