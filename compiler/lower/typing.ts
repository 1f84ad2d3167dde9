// From TypeScript types (of annotations, parameters, returns, intrinsic signatures) to the
// lowering's types. A `number` without a brand has no width, so it is an error here: the
// user must say which integer they mean.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { type Ty, BoolTy, VoidTy, Int, intFromType, intTy, isBooleanType, stdlibName, typeArguments } from "../types.js";
import type { ModuleState } from "./context.js";

export function tyOf(state: ModuleState, type: ts.Type, at: ts.Node): Ty {
  const { checker } = state;
  if (type.flags & ts.TypeFlags.Any) {
    state.reporter.error(Diagnostics.AnyNotAllowed, at);
    return intTy(Int.u64);
  }
  if (type.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Never)) return VoidTy;
  const int = intFromType(type, checker);
  if (int) return intTy(int);
  if (isBooleanType(type)) return BoolTy;
  let nullable = false;
  let inner = type;
  if (type.isUnion()) {
    const rest = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    nullable = rest.length !== type.types.length;
    if (rest.length === 1) inner = rest[0]!;
    else if (rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return BoolTy;
  }
  if (inner.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) {
    state.reporter.error(Diagnostics.NumberType, at);
    return intTy(Int.u32); // the placeholder that least often cascades into more errors
  }
  const name = stdlibName(inner);
  if (name === "XdpContext") return { kind: "ctx" };
  if (name === "Ref") {
    const [arg] = typeArguments(inner, checker);
    const refInt = arg && intFromType(arg, checker);
    if (refInt) return { kind: "ref", int: refInt, nullable };
  }
  const layout = state.layouts.layoutOf(inner, at);
  if (layout) return { kind: "view", layout, nullable };
  state.reporter.error(Diagnostics.UnsupportedType, at, checker.typeToString(type));
  return intTy(Int.u64);
}

/** The declared type of a variable, parameter or property declaration. */
export function declaredTy(state: ModuleState, decl: ts.Declaration & { type?: ts.TypeNode }): Ty {
  const type = decl.type ? state.checker.getTypeFromTypeNode(decl.type) : state.checker.getTypeAtLocation(decl);
  return tyOf(state, type, decl.type ?? decl);
}
