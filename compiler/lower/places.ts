// Places: where a value lives (a local's stack slot, a struct field in a view, a Ref's
// value, a FixedArray element), and loading from / storing to them — including bit fields
// and `bool` fields, which are a byte in memory and an i1 in registers.
import ts from "typescript";
import { Diagnostics } from "../diagnostics.js";
import { type FieldLayout, type FieldType, type IntType, type Ty, intTy, llInt, llType, BoolTy } from "../types.js";
import { type FunctionState, type Value, viewAlign } from "./context.js";
import { constOperand } from "./integers.js";
import { copyBytes } from "./expressions/objects.js";
import { type MemoryRegion, aliasMetadata } from "../ir/alias.js";

export type Place =
  | { readonly kind: "slot"; readonly ptr: string; readonly ty: Ty; readonly name: string; readonly symbol: ts.Symbol }
  | { readonly kind: "memory"; readonly ptr: string; readonly field: FieldType; readonly bitField?: FieldLayout["bitField"]; readonly name: string; readonly epoch?: number; readonly readonlyConfig?: string; readonly align?: number; readonly region?: MemoryRegion };

export function placeTy(place: Place): Ty {
  if (place.kind === "slot") return place.ty;
  return fieldTy(place.field);
}

export function fieldTy(field: FieldType): Ty {
  switch (field.kind) {
    case "int": return intTy(field.int);
    case "bool": return BoolTy;
    case "struct": return { kind: "view", layout: field.struct, nullable: false };
    case "array": return { kind: "view", layout: field.array, nullable: false };
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
    const v: Value = nonNull && place.ty.kind === "view"
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
        return { ty: intTy(field.int), ir: fb.value(`load ${llInt(field.int)}, ptr ${place.ptr}, align ${alignFor(field.int)}${scoped}`), max: narrow };
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
      return { ty: fieldTy(field), ir: place.ptr, epoch: place.epoch, readonlyConfig: place.readonlyConfig, align: place.align, region: place.region };
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
