// Module-level configuration and globals:
//   export const PORT = config<u16>(53);      → `.rodata` (libbpf's const volatile), set from Node before load
//   export const seen = global<u64>(0);       → `.data`/`.bss`, read and written by both sides
// Reads of a config value are volatile loads, so LLVM never folds the default into the code
// (the loader rewrites .rodata before the verifier sees it).
import ts from "typescript";
import { Diagnostics } from "../diagnostics.js";
import { isStdlibFile } from "../frontend.js";
import { type IntType, Int, intFromType, isBooleanType, typeArguments, llInt } from "../types.js";
import type { ModuleState } from "./context.js";

export interface GlobalDefinition {
  readonly name: string;
  readonly kind: "config" | "global";
  /** undefined: bool */
  readonly int?: IntType;
  readonly initial: bigint;
  readonly global: string;
  readonly section: ".rodata" | ".data" | ".bss";
  readonly declaration: ts.VariableDeclaration;
}

/** `config<T>(…)` or `global<T>(…)` from the stdlib: which one, else undefined. */
export function globalKindOf(call: ts.Expression, checker: ts.TypeChecker): "config" | "global" | undefined {
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression)) return undefined;
  let symbol = checker.getSymbolAtLocation(call.expression);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol?.declarations?.[0];
  if (!decl || !isStdlibFile(decl.getSourceFile())) return undefined;
  const name = symbol!.getName();
  return name === "config" || name === "global" ? name : undefined;
}

export function readGlobalDeclaration(state: ModuleState, decl: ts.VariableDeclaration, evalConstant: (e: ts.Expression) => bigint | undefined): GlobalDefinition | undefined {
  const call = decl.initializer;
  const kind = call && globalKindOf(call, state.checker);
  if (!kind || !ts.isCallExpression(call!)) return undefined;
  const type = state.checker.getTypeAtLocation(call!);
  const valueType = kind === "global" ? typeArguments(type, state.checker)[0] : type;
  const int = valueType ? intFromType(valueType, state.checker) : undefined;
  const isBool = valueType ? isBooleanType(valueType) : false;
  if (!int && !(isBool && kind === "config")) {
    state.reporter.error(Diagnostics.UnsupportedType, call!, valueType ? state.checker.typeToString(valueType) : "unknown");
    return undefined;
  }
  const initExpr = call!.arguments[0];
  const initial = initExpr ? evalConstantOrBool(initExpr, evalConstant) : 0n;
  if (initial === undefined) {
    state.reporter.error(Diagnostics.ConstantRequired, initExpr!, "The initial value");
    return undefined;
  }
  const name = decl.name.getText();
  const section = kind === "config" ? ".rodata" : initial === 0n ? ".bss" : ".data";
  return { name, kind, int, initial, global: `@${name}`, section, declaration: decl };
}

function evalConstantOrBool(e: ts.Expression, evalConstant: (e: ts.Expression) => bigint | undefined): bigint | undefined {
  if (e.kind === ts.SyntaxKind.TrueKeyword) return 1n;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return 0n;
  return evalConstant(e);
}

export function emitGlobal(state: ModuleState, g: GlobalDefinition): void {
  const { module: m, debug } = state;
  const file = g.declaration.getSourceFile();
  const line = file.getLineAndCharacterOfPosition(g.declaration.getStart()).line + 1;
  const int = g.int ?? Int.u8;
  const diType = g.int ? debug.int(g.int) : debug.basic("_Bool", 8, false);
  const typeRef = g.kind === "config" ? m.meta(`!DIDerivedType(tag: DW_TAG_const_type, baseType: ${m.meta(`!DIDerivedType(tag: DW_TAG_volatile_type, baseType: ${diType})`)})`) : diType;
  const dbg = debug.globalVariable(g.name, typeRef, file.fileName, line);
  const storage = g.kind === "config" ? "constant" : "global";
  const value = BigInt.asIntN(int.bits, g.initial).toString();
  m.addGlobal(`${g.global} = dso_local ${storage} ${llInt(int)} ${value}, section "${g.section}", align ${int.bits / 8}, !dbg ${dbg}`, g.global, true);
}
