// Constant folding outside any function: module constants, map options, config initial
// values, loop bounds. Integers fold with arbitrary precision (they are untyped until they
// meet a type); conversions such as u16(100) give typed constants.
import ts from "#typescript";
import { Int, stdlibCallee } from "../types.js";
import { type FunctionState, type ModuleState, type Value, constValue } from "./context.js";
import { byteSwaps, foldBinary, foldByteSwap, typedConst } from "./integers.js";

const foldable: Partial<Record<ts.SyntaxKind, Parameters<typeof foldBinary>[0]>> = {
  [ts.SyntaxKind.PlusToken]: "+",
  [ts.SyntaxKind.MinusToken]: "-",
  [ts.SyntaxKind.AsteriskToken]: "*",
  [ts.SyntaxKind.SlashToken]: "/",
  [ts.SyntaxKind.PercentToken]: "%",
  [ts.SyntaxKind.AmpersandToken]: "&",
  [ts.SyntaxKind.BarToken]: "|",
  [ts.SyntaxKind.CaretToken]: "^",
  [ts.SyntaxKind.LessThanLessThanToken]: "<<",
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: ">>",
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: ">>>",
};

export function evaluateConstantExpression(state: ModuleState, expr: ts.Expression): Value | undefined {
  while (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr)) expr = expr.expression;
  if (ts.isNumericLiteral(expr))
    return /^[\d_xXa-fA-FoObB]+$/.test(expr.getText()) && !expr.getText().includes(".")
      ? constValue(BigInt(expr.getText().replace(/_/g, "")))
      : undefined;
  if (ts.isBigIntLiteral(expr)) return constValue(BigInt(expr.text.replace(/_/g, "").replace(/n$/, "")));
  if (expr.kind === ts.SyntaxKind.TrueKeyword || expr.kind === ts.SyntaxKind.FalseKeyword) {
    const v = expr.kind === ts.SyntaxKind.TrueKeyword;
    return { ty: { kind: "bool" }, ir: String(v), constant: v ? 1n : 0n };
  }
  if (ts.isPrefixUnaryExpression(expr)) {
    const v = evaluateConstantExpression(state, expr.operand);
    if (v?.ty.kind !== "const") return undefined;
    if (expr.operator === ts.SyntaxKind.MinusToken) return constValue(-v.constant!);
    if (expr.operator === ts.SyntaxKind.TildeToken) return constValue(~v.constant!);
    if (expr.operator === ts.SyntaxKind.PlusToken) return v;
    return undefined;
  }
  if (ts.isPropertyAccessExpression(expr)) {
    const v = state.checker.getConstantValue(expr);
    return typeof v === "number" ? constValue(BigInt(v)) : undefined;
  }
  if (ts.isIdentifier(expr)) {
    let symbol = state.checker.getSymbolAtLocation(expr);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = state.checker.getAliasedSymbol(symbol);
    return symbol ? state.moduleConstant(symbol) : undefined;
  }
  if (ts.isBinaryExpression(expr)) {
    const op = foldable[expr.operatorToken.kind];
    const a = evaluateConstantExpression(state, expr.left);
    const b = evaluateConstantExpression(state, expr.right);
    if (!op || a?.constant === undefined || b?.constant === undefined) return undefined;
    const folded = foldBinary(op, a.constant, b.constant);
    // A typed side (const N: u32) types the result and wraps it, as the same expression in a
    // function would; in-function lowering still checks mixes of typed sides.
    const typed = a.ty.kind === "int" ? a.ty.int : b.ty.kind === "int" ? b.ty.int : undefined;
    return typed && !typed.be ? typedConst(folded, typed) : a.ty.kind === "const" && b.ty.kind === "const" ? constValue(folded) : undefined;
  }
  const name = stdlibCallee(expr, state.checker);
  if (name !== undefined && ts.isCallExpression(expr) && expr.arguments.length === 1) {
    // Typed constants such as u16(100) or htons(ETH_P_IP) at module level.
    const v = evaluateConstantExpression(state, expr.arguments[0]!);
    if (!v || v.constant === undefined) return undefined;
    const target = name in Int ? Int[name as keyof typeof Int] : undefined;
    if (target) return typedConst(v.constant, target);
    // htons(53) and friends (config/global initial values), folded as the intrinsics fold them.
    return Object.hasOwn(byteSwaps, name) ? foldByteSwap(v.constant, byteSwaps[name]!.to) : undefined;
  }
  return undefined;
}

/** A compile-time integer, without emitting code: local constants, then module-level folding. */
export function evalConstant(fs: FunctionState, expr: ts.Expression): bigint | undefined {
  while (ts.isParenthesizedExpression(expr)) expr = expr.expression;
  if (ts.isIdentifier(expr)) {
    const local = fs.locals.get(fs.symbolOf(expr)!);
    if (local) return local.kind === "constant" ? local.value.constant : undefined;
  }
  if (stdlibCallee(expr, fs.checker) === "sizeof") return fs.lowerExpression(expr).constant;
  return evaluateConstantExpression(fs.mod, expr)?.constant;
}
