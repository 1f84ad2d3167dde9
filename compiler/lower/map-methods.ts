// Map methods: lookup / update / delete (bpf_map_*_elem), redirect (bpf_redirect_map) and
// RingBuf.output (bpf_ringbuf_output). Scalar keys and values are spilled to the stack,
// because the helpers take pointers; struct keys and values are already pointers.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { type FieldType, Int, intTy, llInt, fieldSize } from "../types.js";
import { type FunctionState, type Value, constValue } from "./context.js";
import { convertImplicit } from "./integers.js";
import { fieldTy, placeOfElement, placeOfMember } from "./places.js";
import { stdlibName } from "../types.js";
import { BpfHelper, callHelper, spill } from "./bpf-helpers.js";
import type { MapDefinition } from "../object-model.js";

export function lowerMapMethod(fs: FunctionState, map: MapDefinition, name: string, node: ts.CallExpression): Value {
  const args = node.arguments;
  const available = methodsOf(map);
  if (!available.includes(name)) {
    fs.error(Diagnostics.MapMethod, node.expression, `${name}()`, map.className);
    return constValue(0n);
  }
  switch (name) {
    // lookup(key: K): Lookup<V> | null
    case "lookup": {
      const key = pointerTo(fs, map.key!, args[0], node);
      const found = callHelper(fs, BpfHelper.mapLookupElem, "ptr", [`ptr ${map.global}`, `ptr ${key}`]);
      const value = map.value!;
      if (value.kind === "int") return { ty: { kind: "ref", int: value.int, nullable: true }, ir: found, region: "map" };
      if (value.kind === "struct") return { ty: { kind: "view", layout: value.struct, nullable: true }, ir: found, region: "map" };
      if (value.kind === "array") return { ty: { kind: "view", layout: value.array, nullable: true }, ir: found, region: "map" };
      fs.error(Diagnostics.MapKeyType, node, "bool");
      return constValue(0n);
    }
    // update(key: K, value: V, flags?: number): i64
    case "update": {
      const key = pointerTo(fs, map.key!, args[0], node);
      const value = pointerTo(fs, map.value!, args[1], node);
      const flags = args[2] ? convertImplicit(fs, fs.lowerExpression(args[2]), intTy(Int.u64), args[2]).ir : "0";
      return {
        ty: intTy(Int.i64),
        ir: callHelper(fs, BpfHelper.mapUpdateElem, "i64", [`ptr ${map.global}`, `ptr ${key}`, `ptr ${value}`, `i64 ${flags}`]),
      };
    }
    // delete(key: K): i64
    case "delete": {
      const key = pointerTo(fs, map.key!, args[0], node);
      return { ty: intTy(Int.i64), ir: callHelper(fs, BpfHelper.mapDeleteElem, "i64", [`ptr ${map.global}`, `ptr ${key}`]) };
    }
    // redirect(key: u32, fallback: XDP): XDP
    case "redirect": {
      const key = convertImplicit(fs, fs.lowerExpression(args[0]!), intTy(Int.u64), args[0]!);
      const fallback = args[1] ? convertImplicit(fs, fs.lowerExpression(args[1]), intTy(Int.u64), args[1]).ir : "0";
      const result = callHelper(fs, BpfHelper.redirectMap, "i64", [`ptr ${map.global}`, `i64 ${key.ir}`, `i64 ${fallback}`]);
      return { ty: intTy(Int.u32), ir: fs.fb.value(`trunc i64 ${result} to i32`) };
    }
    // output(record: T, flags?: number): i64
    case "output": {
      const record = pointerTo(fs, map.record!, args[0], node);
      const flags = args[1] ? convertImplicit(fs, fs.lowerExpression(args[1]), intTy(Int.u64), args[1]).ir : "0";
      return {
        ty: intTy(Int.i64),
        ir: callHelper(fs, BpfHelper.ringbufOutput, "i64", [
          `ptr ${map.global}`,
          `ptr ${record}`,
          `i64 ${fieldSize(map.record!)}`,
          `i64 ${flags}`,
        ]),
      };
    }
  }
  return constValue(0n);
}

function methodsOf(map: MapDefinition): string[] {
  if (map.className === "RingBuf") return ["output"];
  if (map.className === "ProgArray") return [];
  if (map.kind.redirect) return map.className === "DevMap" || map.className === "DevMapHash" ? ["redirect", "lookup"] : ["redirect"];
  return ["lookup", "update", "delete"];
}

/** A pointer to the key/value: a struct view as is, a scalar spilled to the stack. */
function pointerTo(fs: FunctionState, type: FieldType, expr: ts.Expression | undefined, call: ts.CallExpression): string {
  if (!expr) {
    fs.error(Diagnostics.HelperArgument, call, call.arguments.length + 1, call.expression.getText(), "given");
    return "null";
  }
  const expected = fieldTy(type);
  const inPlace = type.kind === "int" ? fieldPointer(fs, expr, type) : undefined;
  if (inPlace) return inPlace;
  const value = convertImplicit(fs, fs.lowerExpression(expr, expected), expected, expr);
  if (type.kind === "int") return spill(fs, llInt(type.int), value.ir, type.int.bits / 8);
  if (type.kind === "bool") return spill(fs, "i8", fs.fb.value(`zext i1 ${value.ir} to i8`), 1);
  if (value.ty.kind === "view" && value.ty.nullable) fs.error(Diagnostics.UncheckedNull, expr, expr.getText());
  return value.ir;
}

/**
 * `map.lookup(ip.saddr)`: an integer key or value that already lies in memory (a packet
 * header field, a map value's field, a stack struct's field) of exactly the key's type is
 * passed by its address, as C passes `&ip->saddr`, instead of being copied to the stack.
 * The verifier accepts packet, map-value and stack pointers for key and value arguments
 * (ARG_PTR_TO_MAP_KEY / ARG_PTR_TO_MAP_VALUE) once their bytes are in bounds.
 */
function fieldPointer(fs: FunctionState, expr: ts.Expression, type: Extract<FieldType, { kind: "int" }>): string | undefined {
  while (ts.isParenthesizedExpression(expr)) expr = expr.expression;
  let place;
  if (ts.isPropertyAccessExpression(expr)) {
    if (fs.checker.getConstantValue(expr) !== undefined || stdlibName(fs.checker.getTypeAtLocation(expr.expression)) === "XdpContext")
      return undefined;
    const base = fs.lowerExpression(expr.expression);
    if (base.ty.kind !== "view" && base.ty.kind !== "ref") return undefined;
    place = placeOfMember(fs, base, expr.name.text, expr);
  } else if (ts.isElementAccessExpression(expr)) {
    place = placeOfElement(fs, expr);
  }
  if (!place || place.kind !== "memory" || place.bitField || place.field.kind !== "int") return undefined;
  const field = place.field.int;
  if (field.bits !== type.int.bits || field.signed !== type.int.signed || field.be !== type.int.be) return undefined;
  return place.ptr;
}
