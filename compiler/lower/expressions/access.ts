// Access expressions: names (locals, module constants and enum members, maps, globals),
// member access (context fields through packet.ts, struct fields of views, a Ref's
// `.value`) and element access (FixedArray elements whose index is provably in range).
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { Int, intTy, llInt } from "../../types.js";
import type { GlobalDefinition } from "../../object-model.js";
import { type FunctionState, type Value, constValue, poisonedValue } from "../context.js";
import { load, placeOfMember, placeOfElement } from "../places.js";
import { lowerContextField } from "../packet.js";

export function lowerIdentifier(fs: FunctionState, node: ts.Identifier): Value {
  const symbol = fs.symbolOf(node);
  // The language's own `undefined` has no declaration; a user's variable of that name has one.
  if (node.text === "undefined" && !symbol?.declarations?.length) return { ty: { kind: "null" }, ir: "null" };
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
  const decl = symbol.valueDeclaration;
  if (decl && ts.isVariableDeclaration(decl) && ts.isSourceFile(decl.parent.parent.parent)) {
    fs.error(Diagnostics.ConstantRequired, node, `Module-level const '${node.text}'`);
    return poisonedValue;
  }
  fs.error(Diagnostics.UnsupportedSyntax, node, `A reference to '${node.text}'`);
  return constValue(0n);
}

function lowerGlobal(fs: FunctionState, g: GlobalDefinition): Value {
  // A struct or FixedArray global is a view of its section, as a map value is; a config
  // view is marked read-only (the verifier rejects stores into the frozen .rodata map).
  if (g.layout)
    return {
      ty: { kind: "view", layout: g.layout, nullable: false },
      ir: g.global,
      readonlyConfig: g.kind === "config" ? g.name : undefined,
    };
  if (g.kind === "global")
    return {
      ty: g.int ? { kind: "ref", int: g.int, nullable: false } : { kind: "ref", int: Int.u8, nullable: false, bool: true },
      ir: g.global,
    };
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
  const base = fs.lowerExpression(node.expression);
  const name = node.name.text;
  if (base.ty.kind === "ctx") return lowerContextField(fs, base.ir, name, node);
  if (base.ty.kind === "view" && base.ty.layout.kind === "array" && name === "length") return constValue(BigInt(base.ty.layout.length));
  const place = placeOfMember(fs, base, name, node);
  return place ? load(fs, place, node) : constValue(0n);
}

export function lowerElementAccess(fs: FunctionState, node: ts.ElementAccessExpression): Value {
  const place = placeOfElement(fs, node);
  return place ? load(fs, place, node) : constValue(0n);
}
