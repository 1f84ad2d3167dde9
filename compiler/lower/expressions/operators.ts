// Operators: arithmetic, bitwise, shifts, comparisons (signed or unsigned by type),
// null checks of views, short-circuit logic, assignment and compound assignment, ++/--,
// and the conditional operator. Conditions branch directly (lowerCondition) so `&&`/`||`
// chains become the jump sequences the verifier follows best.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { type Ty, BoolTy, intTy, intName, llInt, llType, isPointer } from "../../types.js";
import { type FunctionState, type Value, constValue } from "../context.js";
import type { Block } from "../../ir/function.js";
import {
  type BinaryOp,
  type CompareOp,
  unify,
  emitBinary,
  emitCompare,
  foldBinary,
  foldCompare,
  convertImplicit,
  typedConst,
} from "../integers.js";
import { load, store, placeTy, lowerPlace } from "../places.js";

const arithmetic = new Map<ts.SyntaxKind, BinaryOp>([
  [ts.SyntaxKind.PlusToken, "+"],
  [ts.SyntaxKind.MinusToken, "-"],
  [ts.SyntaxKind.AsteriskToken, "*"],
  [ts.SyntaxKind.SlashToken, "/"],
  [ts.SyntaxKind.PercentToken, "%"],
  [ts.SyntaxKind.AmpersandToken, "&"],
  [ts.SyntaxKind.BarToken, "|"],
  [ts.SyntaxKind.CaretToken, "^"],
  [ts.SyntaxKind.LessThanLessThanToken, "<<"],
  [ts.SyntaxKind.GreaterThanGreaterThanToken, ">>"],
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken, ">>>"],
]);
const compoundAssignment = new Map<ts.SyntaxKind, BinaryOp>([
  [ts.SyntaxKind.PlusEqualsToken, "+"],
  [ts.SyntaxKind.MinusEqualsToken, "-"],
  [ts.SyntaxKind.AsteriskEqualsToken, "*"],
  [ts.SyntaxKind.SlashEqualsToken, "/"],
  [ts.SyntaxKind.PercentEqualsToken, "%"],
  [ts.SyntaxKind.AmpersandEqualsToken, "&"],
  [ts.SyntaxKind.BarEqualsToken, "|"],
  [ts.SyntaxKind.CaretEqualsToken, "^"],
  [ts.SyntaxKind.LessThanLessThanEqualsToken, "<<"],
  [ts.SyntaxKind.GreaterThanGreaterThanEqualsToken, ">>"],
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken, ">>>"],
]);
const comparisons = new Map<ts.SyntaxKind, CompareOp>([
  [ts.SyntaxKind.LessThanToken, "<"],
  [ts.SyntaxKind.LessThanEqualsToken, "<="],
  [ts.SyntaxKind.GreaterThanToken, ">"],
  [ts.SyntaxKind.GreaterThanEqualsToken, ">="],
  [ts.SyntaxKind.EqualsEqualsEqualsToken, "=="],
  [ts.SyntaxKind.EqualsEqualsToken, "=="],
  [ts.SyntaxKind.ExclamationEqualsEqualsToken, "!="],
  [ts.SyntaxKind.ExclamationEqualsToken, "!="],
]);

export function lowerBinary(fs: FunctionState, node: ts.BinaryExpression): Value {
  const op = node.operatorToken.kind;
  if (op === ts.SyntaxKind.EqualsToken) return lowerAssignment(fs, node);
  const compound = compoundAssignment.get(op);
  if (compound) return lowerCompoundAssignment(fs, node.left, compound, node.right, node);
  if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) return lowerLogicalValue(fs, node);
  if (op === ts.SyntaxKind.CommaToken) {
    fs.lowerExpression(node.left);
    return fs.lowerExpression(node.right);
  }
  const cmp = comparisons.get(op);
  if (cmp) return lowerComparison(fs, cmp, node);
  const arith = arithmetic.get(op);
  if (arith) {
    const a = fs.lowerExpression(node.left);
    const b = fs.lowerExpression(node.right);
    return binaryArithmetic(fs, arith, a, b, node);
  }
  fs.error(Diagnostics.UnsupportedOperator, node.operatorToken, node.operatorToken.getText(), hintFor(op));
  return constValue(0n);
}

function hintFor(op: ts.SyntaxKind): string {
  switch (op) {
    case ts.SyntaxKind.AsteriskAsteriskToken:
      return "Multiply in a bounded loop, or precompute the constant.";
    case ts.SyntaxKind.InstanceOfKeyword:
      return "Values have static types in .xdp.ts; no runtime type tests are needed.";
    case ts.SyntaxKind.InKeyword:
      return "Struct fields are fixed at compile time; use a map's lookup() for membership.";
    case ts.SyntaxKind.QuestionQuestionToken:
      return "Check for null with if (v === null) … instead.";
    default:
      return "Use integer arithmetic, comparisons and logical operators.";
  }
}

export function binaryArithmetic(fs: FunctionState, op: BinaryOp, a: Value, b: Value, node: ts.Node): Value {
  if (a.ty.kind === "const" && b.ty.kind === "const") return constValue(foldBinary(op, a.constant!, b.constant!));
  if (op === "<<" || op === ">>" || op === ">>>") {
    // The shift count does not take part in type unification: `u32(x) << 8` is u32.
    if (a.ty.kind === "const") {
      const [left, right, t] = unify(fs, a, b, op, node);
      return emitBinary(fs, op, left, right, t!);
    }
    if (a.ty.kind !== "int") return invalidOperand(fs, a, node);
    const count = b.ty.kind === "const" ? typedConst(b.constant!, a.ty.int) : resizeCount(fs, b, a.ty.int, node);
    return emitBinary(fs, op, a, count, a.ty.int);
  }
  if ((a.ty.kind !== "int" && a.ty.kind !== "const") || (b.ty.kind !== "int" && b.ty.kind !== "const"))
    return invalidOperand(fs, a.ty.kind === "int" || a.ty.kind === "const" ? b : a, node);
  const [left, right, t] = unify(fs, a, b, op, node);
  return emitBinary(fs, op, left, right, t!);
}

function resizeCount(fs: FunctionState, count: Value, to: import("../../types.js").IntType, node: ts.Node): Value {
  if (count.ty.kind !== "int") return invalidOperand(fs, count, node);
  if (count.ty.int.bits === to.bits) return { ty: intTy(to), ir: count.ir };
  const inst = count.ty.int.bits > to.bits ? "trunc" : "zext";
  return { ty: intTy(to), ir: fs.fb.value(`${inst} ${llInt(count.ty.int)} ${count.ir} to ${llInt(to)}`) };
}

function invalidOperand(fs: FunctionState, v: Value, node: ts.Node): Value {
  fs.error(Diagnostics.UnsupportedType, node, `${v.ty.kind} as an arithmetic operand`);
  return constValue(0n);
}

function lowerComparison(fs: FunctionState, op: CompareOp, node: ts.BinaryExpression): Value {
  const a = fs.lowerExpression(node.left);
  const b = fs.lowerExpression(node.right);
  return compareValues(fs, op, a, b, node);
}

export function compareValues(fs: FunctionState, op: CompareOp, a: Value, b: Value, node: ts.Node): Value {
  if (isPointer(a.ty) || isPointer(b.ty)) {
    if (op !== "==" && op !== "!=") fs.error(Diagnostics.UnsupportedOperator, node, op, "Views compare only with null.");
    fs.viewChecked(a);
    fs.viewChecked(b);
    return { ty: BoolTy, ir: fs.fb.value(`icmp ${op === "==" ? "eq" : "ne"} ptr ${a.ir}, ${b.ir}`) };
  }
  if (a.ty.kind === "bool" || b.ty.kind === "bool") {
    const x = convertImplicit(fs, a, BoolTy, node);
    const y = convertImplicit(fs, b, BoolTy, node);
    if (op !== "==" && op !== "!=") fs.error(Diagnostics.UnsupportedOperator, node, op, "Booleans compare with === and !== only.");
    return { ty: BoolTy, ir: fs.fb.value(`icmp ${op === "==" ? "eq" : "ne"} i1 ${x.ir}, ${y.ir}`) };
  }
  if (a.ty.kind === "const" && b.ty.kind === "const") {
    const r = foldCompare(op, a.constant!, b.constant!);
    return { ty: BoolTy, ir: r ? "true" : "false", constant: r ? 1n : 0n };
  }
  // Arithmetic may wrap a negative constant into an unsigned type (x + -1), a comparison
  // must not: `i < -12` on a u32 would compare with 4294967284.
  const negative = a.ty.kind === "const" && a.constant! < 0n ? [a, b] : b.ty.kind === "const" && b.constant! < 0n ? [b, a] : undefined;
  if (negative && negative[1]!.ty.kind === "int" && !negative[1]!.ty.int.signed && !negative[1]!.ty.int.be) {
    fs.error(Diagnostics.ConstantOutOfRange, node, negative[0]!.constant!.toString(), intName(negative[1]!.ty.int));
    return { ty: BoolTy, ir: "false", constant: 0n };
  }
  const [left, right, t] = unify(fs, a, b, op, node);
  return emitCompare(fs, op, left, right, t!);
}

function lowerAssignment(fs: FunctionState, node: ts.BinaryExpression): Value {
  const place = lowerPlace(fs, node.left);
  if (!place) return constValue(0n);
  const target = placeTy(place);
  const value = convertImplicit(fs, fs.lowerExpression(node.right, target), target, node.right);
  if (value.ty.kind === "view") fs.checkFresh(value, node.right.getText(), node.right);
  store(fs, place, value, node);
  return value;
}

export function lowerCompoundAssignment(
  fs: FunctionState,
  left: ts.Expression,
  op: BinaryOp,
  right: ts.Expression | bigint,
  node: ts.Node,
): Value {
  const place = lowerPlace(fs, left);
  if (!place) return constValue(0n);
  const target = placeTy(place);
  if (target.kind !== "int") {
    fs.error(Diagnostics.UnsupportedType, node, `${target.kind} in arithmetic assignment`);
    return constValue(0n);
  }
  const current = load(fs, place, node);
  const operand = typeof right === "bigint" ? constValue(right) : fs.lowerExpression(right);
  const result = binaryArithmetic(fs, op, current, operand, node);
  const converted = convertImplicit(fs, result, target, node);
  store(fs, place, converted, node);
  return converted;
}

export function lowerPrefixUnary(fs: FunctionState, node: ts.PrefixUnaryExpression): Value {
  switch (node.operator) {
    case ts.SyntaxKind.PlusPlusToken:
      return lowerCompoundAssignment(fs, node.operand, "+", 1n, node);
    case ts.SyntaxKind.MinusMinusToken:
      return lowerCompoundAssignment(fs, node.operand, "-", 1n, node);
    case ts.SyntaxKind.ExclamationToken: {
      const v = toBool(fs, fs.lowerExpression(node.operand), node.operand);
      if (v.constant !== undefined) return { ty: BoolTy, ir: v.constant ? "false" : "true", constant: v.constant ? 0n : 1n };
      return { ty: BoolTy, ir: fs.fb.value(`xor i1 ${v.ir}, true`) };
    }
    case ts.SyntaxKind.TildeToken: {
      const v = fs.lowerExpression(node.operand);
      if (v.ty.kind === "const") return constValue(~v.constant!);
      if (v.ty.kind !== "int") return invalidOperand(fs, v, node);
      if (v.constant !== undefined) return typedConst(~v.constant, v.ty.int);
      return { ty: v.ty, ir: fs.fb.value(`xor ${llInt(v.ty.int)} ${v.ir}, -1`) };
    }
    case ts.SyntaxKind.MinusToken: {
      const v = fs.lowerExpression(node.operand);
      if (v.ty.kind === "const") return constValue(-v.constant!);
      if (v.ty.kind !== "int") return invalidOperand(fs, v, node);
      if (v.ty.int.be) fs.error(Diagnostics.ByteOrderArithmetic, node, "network-order value");
      return { ty: v.ty, ir: fs.fb.value(`sub ${llInt(v.ty.int)} 0, ${v.ir}`) };
    }
    case ts.SyntaxKind.PlusToken:
      return fs.lowerExpression(node.operand);
  }
  return constValue(0n);
}

export function lowerPostfixUnary(fs: FunctionState, node: ts.PostfixUnaryExpression): Value {
  const place = lowerPlace(fs, node.operand);
  if (!place) return constValue(0n);
  const before = load(fs, place, node);
  const t = placeTy(place);
  if (t.kind !== "int") return invalidOperand(fs, before, node);
  const after = emitBinary(fs, node.operator === ts.SyntaxKind.PlusPlusToken ? "+" : "-", before, typedConst(1n, t.int), t.int);
  store(fs, place, after, node);
  return before;
}

/** A value as an i1: bools as they are, integers `!= 0`, views and refs `!= null`. */
export function toBool(fs: FunctionState, v: Value, node: ts.Node): Value {
  switch (v.ty.kind) {
    case "bool":
      return v;
    case "const":
      return { ty: BoolTy, ir: v.constant ? "true" : "false", constant: v.constant ? 1n : 0n };
    case "int":
      return { ty: BoolTy, ir: fs.fb.value(`icmp ne ${llInt(v.ty.int)} ${v.ir}, 0`) };
    case "view":
    case "ref":
    case "null":
      fs.viewChecked(v);
      return { ty: BoolTy, ir: fs.fb.value(`icmp ne ptr ${v.ir}, null`) };
    default:
      fs.error(Diagnostics.NotABoolean, node, v.ty.kind);
      return { ty: BoolTy, ir: "false", constant: 0n };
  }
}

/** Branches on `expr`, short-circuiting `&&`, `||` and `!` into jumps. */
export function lowerCondition(fs: FunctionState, expr: ts.Expression, ifTrue: Block, ifFalse: Block): void {
  while (ts.isParenthesizedExpression(expr)) expr = expr.expression;
  if (ts.isPrefixUnaryExpression(expr) && expr.operator === ts.SyntaxKind.ExclamationToken)
    return lowerCondition(fs, expr.operand, ifFalse, ifTrue);
  if (ts.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const next = fs.fb.newBlock(op === ts.SyntaxKind.AmpersandAmpersandToken ? "and.rhs" : "or.rhs");
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) lowerCondition(fs, expr.left, next, ifFalse);
      else lowerCondition(fs, expr.left, ifTrue, next);
      fs.fb.setBlock(next);
      return lowerCondition(fs, expr.right, ifTrue, ifFalse);
    }
  }
  const v = toBool(fs, fs.lowerExpression(expr), expr);
  if (v.constant !== undefined) fs.fb.br(v.constant ? ifTrue : ifFalse);
  else fs.fb.condBr(v.ir, ifTrue, ifFalse);
}

function lowerLogicalValue(fs: FunctionState, node: ts.BinaryExpression): Value {
  const yes = fs.fb.newBlock("bool.true");
  const no = fs.fb.newBlock("bool.false");
  const join = fs.fb.newBlock("bool.join");
  lowerCondition(fs, node, yes, no);
  fs.fb.setBlock(yes);
  fs.fb.br(join);
  fs.fb.setBlock(no);
  fs.fb.br(join);
  fs.fb.setBlock(join);
  return { ty: BoolTy, ir: fs.fb.value(`phi i1 [ true, %${yes.label} ], [ false, %${no.label} ]`) };
}

export function lowerConditional(fs: FunctionState, node: ts.ConditionalExpression, expected?: Ty): Value {
  const yes = fs.fb.newBlock("cond.true");
  const no = fs.fb.newBlock("cond.false");
  const join = fs.fb.newBlock("cond.join");
  lowerCondition(fs, node.condition, yes, no);
  fs.fb.setBlock(yes);
  let a = fs.lowerExpression(node.whenTrue, expected);
  const endYes = fs.fb.block;
  fs.fb.setBlock(no);
  let b = fs.lowerExpression(node.whenFalse, expected);
  const endNo = fs.fb.block;
  const resultTy = commonType(a.ty, b.ty, expected);
  if (resultTy.kind === "const" && a.constant !== undefined && b.constant !== undefined && a.ty.kind === "const" && b.ty.kind === "const") {
    // Both arms constant but the condition is not: give the result a concrete type.
    const t =
      expected?.kind === "int"
        ? expected
        : { kind: "int" as const, int: { bits: 64 as const, signed: a.constant < 0n || b.constant < 0n, be: false } };
    return finishConditional(fs, typedConst(a.constant, t.int), typedConst(b.constant, t.int), t, endYes, endNo, join, node);
  }
  fs.fb.setBlock(endYes);
  a = convertImplicit(fs, a, resultTy, node.whenTrue);
  fs.fb.setBlock(endNo);
  b = convertImplicit(fs, b, resultTy, node.whenFalse);
  return finishConditional(fs, a, b, resultTy, endYes, endNo, join, node);
}

function finishConditional(fs: FunctionState, a: Value, b: Value, ty: Ty, endYes: Block, endNo: Block, join: Block, _node: ts.Node): Value {
  fs.fb.setBlock(endYes);
  const fromYes = fs.fb.block;
  fs.fb.br(join);
  fs.fb.setBlock(endNo);
  const fromNo = fs.fb.block;
  fs.fb.br(join);
  fs.fb.setBlock(join);
  const ll = llType(ty);
  // A null arm is never dereferenced, so it does not change where the other arm points.
  const region = a.region === b.region || b.ty.kind === "null" ? a.region : a.ty.kind === "null" ? b.region : undefined;
  return {
    ty,
    ir: fs.fb.value(`phi ${ll} [ ${a.ir}, %${fromYes.label} ], [ ${b.ir}, %${fromNo.label} ]`),
    epoch: minEpoch(a.epoch, b.epoch),
    region,
  };
}

function minEpoch(a?: number, b?: number): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function commonType(a: Ty, b: Ty, expected?: Ty): Ty {
  if (expected && expected.kind !== "const" && expected.kind !== "void") return expected;
  if (a.kind === "int" && b.kind === "int") return a.int.bits >= b.int.bits ? a : b;
  if (a.kind === "int") return a;
  if (b.kind === "int") return b;
  if (a.kind === "null") return b.kind === "view" || b.kind === "ref" ? { ...b, nullable: true } : b;
  if (b.kind === "null") return a.kind === "view" || a.kind === "ref" ? { ...a, nullable: true } : a;
  return a;
}
