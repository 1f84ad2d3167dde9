// Calls: methods of the context and of maps, stdlib intrinsics, and calls of helper
// functions (the user's, or the stdlib's own subset code), which are emitted once as
// internal always-inline LLVM functions.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { isStdlibFile } from "../../frontend.js";
import { llType } from "../../types.js";
import { type FunctionState, type Value, constValue, poisonedValue } from "../context.js";
import { convertImplicit } from "../integers.js";
import { invalidatePacket, lowerContextMethod } from "../packet.js";
import { lowerMapMethod } from "../map-methods.js";
import { intrinsics } from "../intrinsics.js";
import { lowerLogCall } from "../logs.js";
import { logCallLevel } from "../../log-calls.js";
import { declaredTy, tyOf } from "../typing.js";

export function lowerCall(fs: FunctionState, node: ts.CallExpression): Value {
  const callee = node.expression;
  const logLevel = logCallLevel(fs.checker, node);
  if (logLevel) return lowerLogCall(fs, node, logLevel);
  if (ts.isPropertyAccessExpression(callee)) {
    const receiver = fs.lowerExpression(callee.expression);
    fs.at(node);
    if (receiver.ty.kind === "ctx") return lowerContextMethod(fs, receiver.ir, callee.name.text, node);
    if (receiver.ty.kind === "map") {
      const map = [...fs.mod.maps.values()].find((m) => m.name === (receiver.ty as { mapName: string }).mapName)!;
      return lowerMapMethod(fs, map, callee.name.text, node);
    }
    if (receiver.poisoned) return poisonedValue;
    fs.error(Diagnostics.UnsupportedSyntax, callee, `Calling '${callee.getText()}'`);
    return constValue(0n);
  }
  const symbol = ts.isIdentifier(callee) ? fs.symbolOf(callee) : undefined;
  const decl = symbol?.declarations?.find(ts.isFunctionDeclaration);
  if (!decl) {
    fs.error(Diagnostics.ClosureNotAllowed, callee);
    return constValue(0n);
  }
  if (!decl.body) {
    const intrinsic = isStdlibFile(decl.getSourceFile()) ? intrinsics[decl.name!.text] : undefined;
    if (!intrinsic) {
      fs.error(Diagnostics.UnknownIntrinsic, callee, callee.getText());
      return constValue(0n);
    }
    return intrinsic(fs, node);
  }
  return lowerHelperCall(fs, decl, node);
}

function lowerHelperCall(fs: FunctionState, decl: ts.FunctionDeclaration, node: ts.CallExpression): Value {
  const name = fs.mod.helperFunction(decl, fs.program);
  const args = decl.parameters.map((p, i) => {
    const ty = declaredTy(fs.mod, p);
    const argNode = node.arguments[i];
    if (!argNode) return `${llType(ty)} ${ty.kind === "int" ? 0 : "null"}`;
    const v = convertImplicit(fs, fs.lowerExpression(argNode, ty), ty, argNode);
    if (v.ty.kind === "view" || v.ty.kind === "ref") fs.checkFresh(v, argNode.getText(), argNode);
    return `${llType(ty)} ${v.ty.kind === "const" ? v.constant : v.ir}`;
  });
  const signature = fs.checker.getSignatureFromDeclaration(decl);
  const returnTy = signature ? tyOf(fs.mod, signature.getReturnType(), decl.type ?? decl) : { kind: "void" as const };
  fs.at(node);
  let result: Value;
  if (returnTy.kind === "void") {
    fs.fb.inst(`call void ${name}(${args.join(", ")})`);
    result = { ty: returnTy, ir: "" };
  } else {
    result = { ty: returnTy, ir: fs.fb.value(`call ${llType(returnTy)} ${name}(${args.join(", ")})`) };
  }
  if (fs.mod.invalidatesPacket.has(decl)) invalidatePacket(fs, `the call to ${decl.name?.text}()`, node);
  // A nullable view from a helper may be a packet view whose null test is still to come.
  if (returnTy.kind === "view" && returnTy.nullable) return fs.trackView({ ...result, epoch: fs.epoch });
  if (returnTy.kind === "view") return { ...result, epoch: fs.epoch };
  return result;
}
