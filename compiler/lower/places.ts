// Places: where a value lives (a local's stack slot, a struct field in a view, a Ref's
// value, a FixedArray element), finding the place an access or assignment target denotes,
// loading from / storing to it — including bit fields and `bool` fields, which are a byte
// in memory and an i1 in registers — and the stack structs and byte copies behind them.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import {
  type ArrayLayout,
  type FieldLayout,
  type FieldType,
  type IntType,
  type StructLayout,
  type Ty,
  Int,
  intTy,
  llInt,
  llType,
  BoolTy,
  fieldSize,
  describeTy,
} from "../types.js";
import { type FunctionState, type Value, viewAlign, alignAt } from "./context.js";
import { constOperand, convertImplicit } from "./integers.js";
import { evalConstant } from "./constants.js";
import { type MemoryRegion, aliasMetadata } from "../ir/alias.js";

export type Place =
  | { readonly kind: "slot"; readonly ptr: string; readonly ty: Ty; readonly name: string; readonly symbol: ts.Symbol }
  | {
      readonly kind: "memory";
      readonly ptr: string;
      readonly field: FieldType;
      readonly bitField?: FieldLayout["bitField"];
      readonly name: string;
      readonly epoch?: number;
      readonly readonlyConfig?: string;
      readonly align?: number;
      readonly region?: MemoryRegion;
    };

export function placeTy(place: Place): Ty {
  if (place.kind === "slot") return place.ty;
  return fieldTy(place.field);
}

export function fieldTy(field: FieldType): Ty {
  switch (field.kind) {
    case "int":
      return intTy(field.int);
    case "bool":
      return BoolTy;
    case "struct":
      return { kind: "view", layout: field.struct, nullable: false };
    case "array":
      return { kind: "view", layout: field.array, nullable: false };
  }
}

/** A pointer `offset` bytes past `base` (an i8 GEP: the verifier sees pointer + constant). */
export function offsetPointer(fs: FunctionState, base: string, offset: number | string): string {
  if (offset === 0 || offset === "0") return base;
  return fs.fb.value(`getelementptr inbounds i8, ptr ${base}, i64 ${offset}`);
}

export function load(fs: FunctionState, place: Place, node: ts.Node): Value {
  const fb = fs.fb;
  if (place.kind === "slot") {
    const local = fs.locals.get(place.symbol);
    const epoch = local?.kind === "slot" ? local.epoch : undefined;
    const viewId = local?.kind === "slot" ? local.viewId : undefined;
    const align = local?.kind === "slot" ? local.align : undefined;
    const region = local?.kind === "slot" ? local.region : undefined;
    const nonNull = local?.kind === "slot" && place.ty.kind === "view" && local.nonNull && !mayBeNull(fs, node) ? local.nonNull : undefined;
    const v: Value =
      nonNull && place.ty.kind === "view"
        ? { ty: { ...place.ty, nullable: false }, ir: fb.value(`load ptr, ptr ${nonNull}`), epoch, viewId, align, region }
        : { ty: place.ty, ir: fb.value(`load ${llType(place.ty)}, ptr ${place.ptr}`), epoch, viewId, align, region };
    if (place.ty.kind === "view" || place.ty.kind === "ref") fs.checkFresh(v, place.name, node);
    return v;
  }
  const field = place.field;
  const scoped = aliasMetadata(fs.mod.module, place.region);
  switch (field.kind) {
    case "int": {
      if (!place.bitField) {
        const narrow = !field.int.signed && !field.int.be && field.int.bits <= 16 ? (1n << BigInt(field.int.bits)) - 1n : undefined;
        return {
          ty: intTy(field.int),
          ir: fb.value(`load ${llInt(field.int)}, ptr ${place.ptr}, align ${alignFor(field.int)}${scoped}`),
          max: narrow,
        };
      }
      const { storage, bitOffset, bits } = place.bitField;
      const raw = fb.value(`load ${llInt(storage)}, ptr ${place.ptr}, align ${alignFor(storage)}${scoped}`);
      const shifted = bitOffset ? fb.value(`lshr ${llInt(storage)} ${raw}, ${bitOffset}`) : raw;
      const mask = (1n << BigInt(bits)) - 1n;
      const masked = bits < storage.bits ? fb.value(`and ${llInt(storage)} ${shifted}, ${constOperand(mask, storage)}`) : shifted;
      return { ty: intTy(field.int), ir: masked, max: field.int.signed ? undefined : mask };
    }
    case "bool": {
      const byte = fb.value(`load i8, ptr ${place.ptr}, align 1${scoped}`);
      return { ty: BoolTy, ir: fb.value(`icmp ne i8 ${byte}, 0`) };
    }
    case "struct":
    case "array":
      return {
        ty: fieldTy(field),
        ir: place.ptr,
        epoch: place.epoch,
        readonlyConfig: place.readonlyConfig,
        align: place.align,
        region: place.region,
      };
  }
}

export function store(fs: FunctionState, place: Place, value: Value, node: ts.Node): void {
  const fb = fs.fb;
  if (place.kind === "slot") {
    fb.inst(`store ${llType(place.ty)} ${value.ir}, ptr ${place.ptr}`);
    const local = fs.locals.get(place.symbol);
    if (local?.kind === "slot" && local.nonNull) fb.inst(`store ptr ${value.nonNull ?? value.ir}, ptr ${local.nonNull}`);
    if (local?.kind === "slot" && (place.ty.kind === "view" || place.ty.kind === "ref")) {
      local.epoch = value.epoch;
      local.viewId = value.viewId;
    }
    return;
  }
  if (place.readonlyConfig !== undefined) {
    fs.error(Diagnostics.ConfigReadOnly, node, place.readonlyConfig);
    return;
  }
  const field = place.field;
  const scoped = aliasMetadata(fs.mod.module, place.region);
  if (field.kind === "int") {
    if (!place.bitField) {
      fb.inst(`store ${llInt(field.int)} ${value.ir}, ptr ${place.ptr}, align ${alignFor(field.int)}${scoped}`);
      return;
    }
    const { storage, bitOffset, bits } = place.bitField;
    const ll = llInt(storage);
    const mask = ((1n << BigInt(bits)) - 1n) << BigInt(bitOffset);
    const raw = fb.value(`load ${ll}, ptr ${place.ptr}, align ${alignFor(storage)}${scoped}`);
    const cleared = fb.value(`and ${ll} ${raw}, ${constOperand(~mask, storage)}`);
    const widened = value.ir;
    const shifted = bitOffset ? fb.value(`shl ${ll} ${widened}, ${bitOffset}`) : widened;
    const bounded = fb.value(`and ${ll} ${shifted}, ${constOperand(mask, storage)}`);
    const merged = fb.value(`or ${ll} ${cleared}, ${bounded}`);
    fb.inst(`store ${ll} ${merged}, ptr ${place.ptr}, align ${alignFor(storage)}${scoped}`);
    return;
  }
  if (field.kind === "bool") {
    const byte = fb.value(`zext i1 ${value.ir} to i8`);
    fb.inst(`store i8 ${byte}, ptr ${place.ptr}, align 1${scoped}`);
    return;
  }
  // A struct or FixedArray field assigned from a view of the same size copies the bytes,
  // as C's struct assignment does: `out.dst = saved.src`.
  const size = field.kind === "struct" ? field.struct.size : field.array.size;
  if (value.ty.kind === "view" && !value.ty.nullable && value.ty.layout.size === size) {
    copyBytes(fs, place.ptr, value.ir, size, Math.min(place.align ?? 1, viewAlign(value)));
    return;
  }
  fs.error(Diagnostics.StructCopy, node);
}

/** Whether TypeScript's flow typing still allows null (or undefined) for the name at `node`. */
function mayBeNull(fs: FunctionState, node: ts.Node): boolean {
  if (!ts.isIdentifier(node)) return true;
  const type = fs.checker.getTypeAtLocation(node);
  const parts = type.isUnion() ? type.types : [type];
  return parts.some((t) => (t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0);
}

function alignFor(t: IntType): number {
  return t.bits / 8;
}

/** The place of `base.name` (a struct field or a Ref's value). */
export function placeOfMember(fs: FunctionState, base: Value, name: string, node: ts.Node): Place | undefined {
  if (base.poisoned) return undefined;
  if (base.ty.kind === "ref") {
    if (name !== "value") {
      fs.error(Diagnostics.UnknownField, node, describeTy(base.ty), name);
      return undefined;
    }
    return {
      kind: "memory",
      ptr: base.ir,
      field: base.ty.bool ? { kind: "bool" } : { kind: "int", int: base.ty.int },
      name,
      region: base.region,
    };
  }
  if (base.ty.kind === "view" && base.ty.layout.kind === "struct") {
    const field = base.ty.layout.fields.find((f) => f.name === name);
    if (!field) {
      fs.error(Diagnostics.UnknownField, node, base.ty.layout.name, name);
      return undefined;
    }
    return {
      kind: "memory",
      ptr: offsetPointer(fs, base.ir, field.offset),
      field: field.type,
      bitField: field.bitField,
      name,
      epoch: base.epoch,
      readonlyConfig: base.readonlyConfig,
      align: alignAt(viewAlign(base), field.offset),
      region: base.region,
    };
  }
  if (base.ty.kind === "map") fs.error(Diagnostics.MapAsValue, node);
  else fs.error(Diagnostics.UnknownField, node, describeTy(base.ty), name);
  return undefined;
}

export function placeOfElement(fs: FunctionState, node: ts.ElementAccessExpression): Place | undefined {
  const base = fs.lowerExpression(node.expression);
  if (base.ty.kind !== "view" || base.ty.layout.kind !== "array") {
    fs.error(Diagnostics.DynamicArrayNotAllowed, node);
    return undefined;
  }
  const array = base.ty.layout;
  const index = fs.lowerExpression(node.argumentExpression);
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
  return {
    kind: "memory",
    ptr,
    field: array.element,
    name: `${node.expression.getText()}[…]`,
    epoch: base.epoch,
    readonlyConfig: base.readonlyConfig,
    align: alignAt(viewAlign(base), offset),
    region: base.region,
  };
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
    const base = fs.lowerExpression(node.expression);
    return placeOfMember(fs, base, node.name.text, node);
  }
  if (ts.isElementAccessExpression(node)) return placeOfElement(fs, node);
  fs.error(Diagnostics.AssignToConst, node, node.getText());
  return undefined;
}

/** A zero-filled stack slot for a struct. */
export function allocateStruct(fs: FunctionState, layout: StructLayout | { size: number; align: number }): string {
  // 8-aligned whatever the struct needs (BPF stack slots are 8 bytes anyway): copies in and
  // out of it can then use the widest access the other side allows.
  const align = Math.max(layout.align, 8);
  const ptr = fs.fb.alloca(`[${layout.size} x i8]`, align);
  fs.stackBytes += layout.size;
  fs.mod.module.declare("declare void @llvm.memset.p0.i64(ptr nocapture writeonly, i8, i64, i1 immarg)");
  fs.fb.inst(`call void @llvm.memset.p0.i64(ptr align ${align} ${ptr}, i8 0, i64 ${layout.size}, i1 false)`);
  return ptr;
}

/**
 * C's struct assignment. `align` is what both sides are known to keep (their structs'
 * alignment and the offsets): LLVM copies in units of it, and BPF has no misaligned
 * accesses in LLVM's eyes, so `align 1` would be a byte-by-byte copy.
 */
export function copyBytes(fs: FunctionState, to: string, from: string, size: number, align: number): void {
  fs.mod.module.declare(
    "declare void @llvm.memcpy.p0.p0.i64(ptr noalias nocapture writeonly, ptr noalias nocapture readonly, i64, i1 immarg)",
  );
  fs.fb.inst(`call void @llvm.memcpy.p0.p0.i64(ptr align ${align} ${to}, ptr align ${align} ${from}, i64 ${size}, i1 false)`);
}
