// `let` and `const`: a constant initialiser on a `const` stays a compile-time constant;
// everything else gets a stack slot (promoted to a register by LLVM). Unannotated `let`s
// initialised by a literal are u32 (i32 when negative; u64/i64 when wider), see
// docs/language.md.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { type Ty, llType } from "../../types.js";
import type { FunctionState, Value } from "../context.js";
import { convertImplicit, defaultLetType } from "../integers.js";
import { declaredTy } from "../typing.js";
import { maxPacketOffset, packetPointerAt } from "../packet.js";

export function lowerVariableStatement(fs: FunctionState, node: ts.VariableStatement): void {
  lowerVariableDeclarationList(fs, node.declarationList);
}

export function lowerVariableDeclarationList(fs: FunctionState, list: ts.VariableDeclarationList): void {
  const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
  if (!(list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let))) fs.error(Diagnostics.VarNotAllowed, list);
  for (const decl of list.declarations) lowerVariableDeclaration(fs, decl, isConst);
}

function lowerVariableDeclaration(fs: FunctionState, decl: ts.VariableDeclaration, isConst: boolean): void {
  if (!ts.isIdentifier(decl.name)) {
    fs.error(Diagnostics.DestructuringNotAllowed, decl.name);
    return;
  }
  const symbol = fs.checker.getSymbolAtLocation(decl.name);
  if (!symbol) return;
  fs.at(decl);
  const declared: Ty | undefined = decl.type ? declaredTy(fs.mod, decl) : undefined;
  const reported = fs.mod.reporter.diagnostics.length;
  let value: Value | undefined = decl.initializer ? fs.lowerExpression(decl.initializer, declared) : undefined;
  if (value?.poisoned) {
    fs.poisonedLocals.add(symbol);
    return;
  }
  if (declared && value) value = convertImplicit(fs, value, declared, decl.initializer!);
  if (isConst && value?.constant !== undefined && (value.ty.kind === "const" || value.ty.kind === "int" || value.ty.kind === "bool")) {
    fs.locals.set(symbol, { kind: "constant", value });
    return;
  }
  const ty = declared ?? (value ? defaultLetType(value) : undefined);
  if (!ty) {
    fs.error(Diagnostics.NumberType, decl);
    return;
  }
  if (ty.kind === "void" || ty.kind === "map" || ty.kind === "const" || ty.kind === "null") {
    // The initialiser's own error already explains it; keep going without the variable.
    if (fs.mod.reporter.diagnostics.length > reported) {
      fs.poisonedLocals.add(symbol);
      return;
    }
    fs.error(Diagnostics.UnsupportedType, decl, ty.kind === "map" ? "a map in a variable" : ty.kind);
    return;
  }
  // An unannotated `let` of a constant too wide even for u64/i64 is an error, not a wrap.
  if (value && value.ty.kind === "const" && ty.kind === "int") value = convertImplicit(fs, value, ty, decl.initializer!);
  const ptr = fs.fb.alloca(llType(ty), 8);
  const initial = value ? value.ir : ty.kind === "int" ? "0" : ty.kind === "bool" ? "false" : "null";
  fs.fb.inst(`store ${llType(ty)} ${initial}, ptr ${ptr}`);
  let nonNull: string | undefined;
  if (ty.kind === "view" && ty.nullable) {
    nonNull = fs.fb.alloca("ptr", 8);
    fs.fb.inst(`store ptr ${value?.nonNull ?? initial}, ptr ${nonNull}`);
  }
  const max = isConst && ty.kind === "int" ? value?.max : undefined;
  fs.locals.set(symbol, {
    kind: "slot",
    ptr,
    ty,
    epoch: value?.epoch,
    viewId: value?.viewId,
    name: decl.name.text,
    nonNull,
    align: isConst ? value?.align : undefined,
    region: isConst ? value?.region : undefined,
    max,
  });
  if (value && max !== undefined && max <= BigInt(maxPacketOffset) && fs.ctx !== undefined) {
    fs.offsetPointers.set(symbol, { epoch: fs.epoch, ptr: packetPointerAt(fs, fs.ctx, value) });
  }
}
