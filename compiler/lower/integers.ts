// The integer rules of LANGUAGE.md, applied while lowering: widening is implicit, narrowing
// needs an explicit conversion, signed and unsigned do not mix, network-order types mix
// only with themselves, literals take the type they meet (and must fit). Arithmetic wraps
// at the type's width; `/` and `%` by zero give 0, as BPF defines them.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { type IntType, type Ty, Int, intName, intRange, intTy, llInt, sameInt, wrapTo, describeTy } from "../types.js";
import { type FunctionState, type Value, constValue } from "./context.js";

/** A typed operand for a constant: LLVM wants it in the signed form of its width. */
export function constOperand(v: bigint, t: IntType): string {
  return BigInt.asIntN(t.bits, v).toString();
}
export function typedConst(v: bigint, t: IntType): Value {
  const wrapped = wrapTo(v, t);
  return { ty: intTy(t), ir: constOperand(wrapped, t), constant: wrapped };
}

/** htons and friends: the integer type each byte swap takes and the one it gives. */
export const byteSwaps: Readonly<Record<string, { readonly from: IntType; readonly to: IntType }>> = {
  htons: { from: Int.u16, to: Int.be16 },
  ntohs: { from: Int.be16, to: Int.u16 },
  htonl: { from: Int.u32, to: Int.be32 },
  ntohl: { from: Int.be32, to: Int.u32 },
  htonll: { from: Int.u64, to: Int.be64 },
  ntohll: { from: Int.be64, to: Int.u64 },
};

/** A byte swap of a constant, folded: its low `to.bits / 8` bytes reversed, typed `to`. */
export function foldByteSwap(v: bigint, to: IntType): Value {
  let swapped = 0n;
  for (let i = 0; i < to.bits / 8; i++) swapped = (swapped << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return typedConst(swapped, to);
}

export function fits(v: bigint, t: IntType): boolean {
  if (t.be) return v === 0n;
  const [lo, hi] = intRange(t);
  return v >= lo && v <= hi;
}

/** Whether a value of type `from` converts to `to` without loss (implicit widening). */
export function widens(from: IntType, to: IntType): boolean {
  if (from.be || to.be) return sameInt(from, to);
  if (from.signed === to.signed) return from.bits <= to.bits;
  return !from.signed && to.signed && from.bits < to.bits;
}

/** Changes the width of an IR integer (no checks). */
export function resize(fs: FunctionState, v: Value, from: IntType, to: IntType): Value {
  if (v.constant !== undefined) return typedConst(from.signed ? BigInt.asIntN(from.bits, v.constant) : v.constant, to);
  const max = v.max !== undefined && !to.signed && !to.be && v.max < 1n << BigInt(to.bits) ? v.max : undefined;
  if (from.bits === to.bits) return { ty: intTy(to), ir: v.ir, max };
  if (from.bits > to.bits) return { ty: intTy(to), ir: fs.fb.value(`trunc ${llInt(from)} ${v.ir} to ${llInt(to)}`), max };
  const op = from.signed ? "sext" : "zext";
  return { ty: intTy(to), ir: fs.fb.value(`${op} ${llInt(from)} ${v.ir} to ${llInt(to)}`), max };
}

/** Converts for assignment, argument passing or return (implicit rules). */
export function convertImplicit(fs: FunctionState, v: Value, target: Ty, node: ts.Node): Value {
  if (target.kind === "int") {
    if (v.ty.kind === "const") {
      if (!fits(v.constant!, target.int)) {
        if (target.int.be) fs.error(Diagnostics.ByteOrderMix, node, intName(target.int), "an integer constant");
        else fs.error(Diagnostics.ConstantOutOfRange, node, v.constant!.toString(), intName(target.int));
      }
      return typedConst(v.constant!, target.int);
    }
    if (v.ty.kind === "int") {
      if (sameInt(v.ty.int, target.int)) return v;
      if (!widens(v.ty.int, target.int)) reportMismatch(fs, v.ty.int, target.int, node);
      return resize(fs, v, v.ty.int, target.int);
    }
    if (v.ty.kind === "bool") {
      fs.error(Diagnostics.ImplicitNarrowing, node, "bool", intName(target.int));
      return { ty: target, ir: fs.fb.value(`zext i1 ${v.ir} to ${llInt(target.int)}`) };
    }
  }
  if (target.kind === "bool") {
    if (v.ty.kind === "bool") return v;
    if (v.ty.kind === "const") return { ty: target, ir: v.constant ? "true" : "false", constant: v.constant ? 1n : 0n };
  }
  if ((target.kind === "view" || target.kind === "ref") && (v.ty.kind === "null" || v.ty.kind === target.kind))
    return { ...v, ty: v.ty.kind === "null" ? target : v.ty };
  if (target.kind === "ctx" && v.ty.kind === "ctx") return v;
  if (target.kind === "void") return v;
  if (v.ty.kind !== target.kind) fs.error(Diagnostics.UnsupportedType, node, `${describeTy(v.ty)} used as ${describeTy(target)}`);
  return v;
}

function reportMismatch(fs: FunctionState, from: IntType, to: IntType, node: ts.Node): void {
  if (from.be || to.be) fs.error(Diagnostics.ByteOrderMix, node, intName(from.be ? from : to), intName(from.be ? to : from));
  else if (from.signed !== to.signed && from.bits <= to.bits)
    fs.error(Diagnostics.SignMix, node, intName(from.signed ? from : to), intName(from.signed ? to : from));
  else fs.error(Diagnostics.ImplicitNarrowing, node, intName(from), intName(to));
}

/** An explicit conversion `u16(x)`: truncates or extends; byte order cannot be converted. */
export function convertExplicit(fs: FunctionState, v: Value, target: IntType, node: ts.Node): Value {
  if (v.ty.kind === "const") return typedConst(v.constant!, target);
  if (v.ty.kind === "bool") return { ty: intTy(target), ir: fs.fb.value(`zext i1 ${v.ir} to ${llInt(target)}`) };
  if (v.ty.kind !== "int") {
    fs.error(Diagnostics.UnsupportedType, node, describeTy(v.ty));
    return typedConst(0n, target);
  }
  if (v.ty.int.be !== target.be && !(v.ty.int.be && target.be)) {
    fs.error(Diagnostics.ByteOrderMix, node, intName(v.ty.int.be ? v.ty.int : target), intName(v.ty.int.be ? target : v.ty.int));
  }
  return resize(fs, v, v.ty.int, target);
}

export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>" | ">>>";
export type CompareOp = "<" | "<=" | ">" | ">=" | "==" | "!=";
const bitwise = new Set<string>(["&", "|", "^"]);

/**
 * The common type of two operands (LANGUAGE.md's mixing rules), both converted to it.
 * Two constants stay untyped.
 */
export function unify(fs: FunctionState, a: Value, b: Value, op: string, node: ts.Node): [Value, Value, IntType | undefined] {
  const ia = a.ty.kind === "int" ? a.ty.int : undefined;
  const ib = b.ty.kind === "int" ? b.ty.int : undefined;
  if (!ia && !ib) return [a, b, undefined];
  let t: IntType;
  if (ia && ib) {
    if (sameInt(ia, ib)) t = ia;
    else if (widens(ia, ib)) t = ib;
    else if (widens(ib, ia)) t = ia;
    else {
      reportMismatchOperands(fs, ia, ib, node);
      t = ia.bits >= ib.bits ? ia : ib;
    }
  } else {
    t = (ia ?? ib)!;
  }
  if (t.be && !bitwise.has(op) && !["==", "!="].includes(op)) fs.error(Diagnostics.ByteOrderArithmetic, node, intName(t));
  return [convertOperand(fs, a, t, node), convertOperand(fs, b, t, node), t];
}

function reportMismatchOperands(fs: FunctionState, a: IntType, b: IntType, node: ts.Node): void {
  if (a.be || b.be) fs.error(Diagnostics.ByteOrderMix, node, intName(a.be ? a : b), intName(a.be ? b : a));
  else if (a.signed !== b.signed) fs.error(Diagnostics.SignMix, node, intName(a.signed ? a : b), intName(a.signed ? b : a));
}

function convertOperand(fs: FunctionState, v: Value, t: IntType, node: ts.Node): Value {
  if (v.ty.kind === "const") {
    if (!fits(v.constant!, t) && !(v.constant! < 0n && !t.signed && fits(-v.constant!, t))) {
      if (t.be) fs.error(Diagnostics.ByteOrderMix, node, intName(t), "an integer constant");
      else fs.error(Diagnostics.ConstantOutOfRange, node, v.constant!.toString(), intName(t));
    }
    return typedConst(v.constant!, t);
  }
  if (v.ty.kind === "int") return sameInt(v.ty.int, t) ? v : resize(fs, v, v.ty.int, t);
  if (v.ty.kind === "bool") return { ty: intTy(t), ir: fs.fb.value(`zext i1 ${v.ir} to ${llInt(t)}`) };
  fs.error(Diagnostics.UnsupportedType, node, describeTy(v.ty));
  return typedConst(0n, t);
}

/** Folds an operation on two known constants (untyped: arbitrary precision). */
export function foldBinary(op: BinaryOp, a: bigint, b: bigint): bigint {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return b === 0n ? 0n : a / b;
    case "%":
      return b === 0n ? 0n : a % b;
    case "&":
      return a & b;
    case "|":
      return a | b;
    case "^":
      return a ^ b;
    case "<<":
      return a << b;
    case ">>":
      return a >> b;
    case ">>>":
      return a >> b;
  }
}

export function foldCompare(op: CompareOp, a: bigint, b: bigint): boolean {
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "==":
      return a === b;
    case "!=":
      return a !== b;
  }
}

/** Emits `a op b` on two values already of type `t`. */
export function emitBinary(fs: FunctionState, op: BinaryOp, a: Value, b: Value, t: IntType): Value {
  const ll = llInt(t);
  if (a.constant !== undefined && b.constant !== undefined) {
    const x = t.signed ? BigInt.asIntN(t.bits, a.constant) : a.constant;
    const y = t.signed ? BigInt.asIntN(t.bits, b.constant) : b.constant;
    const shiftMask = BigInt(t.bits - 1);
    const folded =
      op === "<<" || op === ">>" || op === ">>>"
        ? foldBinary(op === ">>>" ? ">>" : op, op === ">>>" ? BigInt.asUintN(t.bits, x) : x, y & shiftMask)
        : foldBinary(op, x, y);
    return typedConst(
      op === "/" && t.signed && y !== 0n ? truncDiv(x, y) : op === "%" && t.signed && y !== 0n ? x - truncDiv(x, y) * y : folded,
      t,
    );
  }
  const result = emitBinaryInstruction(fs, op, a, b, t);
  const max = t.signed || t.be ? undefined : boundOf(op, a, b, t);
  return max === undefined ? result : { ...result, max };
}

/** An upper bound of `a op b` for unsigned operands with known bounds, when it cannot wrap. */
function boundOf(op: BinaryOp, a: Value, b: Value, t: IntType): bigint | undefined {
  const x = a.max ?? a.constant;
  const y = b.max ?? b.constant;
  if (x === undefined || y === undefined || x < 0n || y < 0n) return undefined;
  const ones = (v: bigint) => (1n << BigInt(v.toString(2).length)) - 1n;
  const bound =
    op === "+"
      ? x + y
      : op === "*"
        ? x * y
        : op === "<<" && b.constant !== undefined
          ? x << b.constant
          : op === "|" || op === "^"
            ? ones(x > y ? x : y)
            : op === "&"
              ? x < y
                ? x
                : y
              : op === ">>" || op === ">>>"
                ? x
                : op === "/"
                  ? x
                  : op === "%"
                    ? y > 0n
                      ? y - 1n
                      : 0n
                    : undefined;
  return bound !== undefined && bound < 1n << BigInt(t.bits) ? bound : undefined;
}

function emitBinaryInstruction(fs: FunctionState, op: BinaryOp, a: Value, b: Value, t: IntType): Value {
  const ll = llInt(t);
  const fb = fs.fb;
  switch (op) {
    case "+":
      return { ty: intTy(t), ir: fb.value(`add ${ll} ${a.ir}, ${b.ir}`) };
    case "-":
      return { ty: intTy(t), ir: fb.value(`sub ${ll} ${a.ir}, ${b.ir}`) };
    case "*":
      return { ty: intTy(t), ir: fb.value(`mul ${ll} ${a.ir}, ${b.ir}`) };
    case "&":
      return { ty: intTy(t), ir: fb.value(`and ${ll} ${a.ir}, ${b.ir}`) };
    case "|":
      return { ty: intTy(t), ir: fb.value(`or ${ll} ${a.ir}, ${b.ir}`) };
    case "^":
      return { ty: intTy(t), ir: fb.value(`xor ${ll} ${a.ir}, ${b.ir}`) };
    case "<<":
    case ">>":
    case ">>>": {
      // The shift count is masked to the width, as JavaScript does: LLVM leaves
      // over-wide shifts undefined.
      const count =
        b.constant !== undefined ? constOperand(b.constant & BigInt(t.bits - 1), t) : fb.value(`and ${ll} ${b.ir}, ${t.bits - 1}`);
      const inst = op === "<<" ? "shl" : op === ">>" && t.signed ? "ashr" : "lshr";
      return { ty: intTy(t), ir: fb.value(`${inst} ${ll} ${a.ir}, ${count}`) };
    }
    case "/":
    case "%":
      return emitDivision(fs, op, a, b, t);
  }
}

function truncDiv(a: bigint, b: bigint): bigint {
  return a / b; // BigInt division truncates toward zero, like C
}

/** Division by zero gives 0 (BPF semantics; LLVM would call it undefined). */
function emitDivision(fs: FunctionState, op: "/" | "%", a: Value, b: Value, t: IntType): Value {
  const fb = fs.fb;
  const ll = llInt(t);
  if (b.constant !== undefined) {
    if (b.constant === 0n) return typedConst(0n, t);
    if (!t.signed) return { ty: intTy(t), ir: fb.value(`${op === "/" ? "udiv" : "urem"} ${ll} ${a.ir}, ${b.ir}`) };
  }
  const isZero = b.constant !== undefined ? "false" : fb.value(`icmp eq ${ll} ${b.ir}, 0`);
  const divisor = b.constant !== undefined ? b.ir : fb.value(`select i1 ${isZero}, ${ll} 1, ${ll} ${b.ir}`);
  let result: string;
  if (!t.signed) {
    result = fb.value(`${op === "/" ? "udiv" : "urem"} ${ll} ${a.ir}, ${divisor}`);
  } else {
    // BPF (before cpu v4) has no signed division: divide magnitudes, then fix the sign.
    const absA = fb.value(`call ${ll} @llvm.abs.${ll}(${ll} ${a.ir}, i1 false)`);
    const absB = fb.value(`call ${ll} @llvm.abs.${ll}(${ll} ${divisor}, i1 false)`);
    fs.mod.module.declare(`declare ${ll} @llvm.abs.${ll}(${ll}, i1) #2`);
    const q = fb.value(`${op === "/" ? "udiv" : "urem"} ${ll} ${absA}, ${absB}`);
    const negQ = fb.value(`sub ${ll} 0, ${q}`);
    const signSource = op === "/" ? fb.value(`xor ${ll} ${a.ir}, ${divisor}`) : a.ir;
    const negative = fb.value(`icmp slt ${ll} ${signSource}, 0`);
    result = fb.value(`select i1 ${negative}, ${ll} ${negQ}, ${ll} ${q}`);
  }
  if (isZero !== "false") result = fb.value(`select i1 ${isZero}, ${ll} 0, ${ll} ${result}`);
  return { ty: intTy(t), ir: result };
}

export function emitCompare(fs: FunctionState, op: CompareOp, a: Value, b: Value, t: IntType): Value {
  if (a.constant !== undefined && b.constant !== undefined) {
    const x = t.signed ? BigInt.asIntN(t.bits, a.constant) : a.constant;
    const y = t.signed ? BigInt.asIntN(t.bits, b.constant) : b.constant;
    const r = foldCompare(op, x, y);
    return { ty: { kind: "bool" }, ir: r ? "true" : "false", constant: r ? 1n : 0n };
  }
  const pred = {
    "==": "eq",
    "!=": "ne",
    "<": t.signed ? "slt" : "ult",
    "<=": t.signed ? "sle" : "ule",
    ">": t.signed ? "sgt" : "ugt",
    ">=": t.signed ? "sge" : "uge",
  }[op];
  return { ty: { kind: "bool" }, ir: fs.fb.value(`icmp ${pred} ${llInt(t)} ${a.ir}, ${b.ir}`) };
}

/** The type of an unannotated `let` initialised by `v` (LANGUAGE.md's free rule). */
export function defaultLetType(v: Value): Ty {
  if (v.ty.kind !== "const") return v.ty;
  const c = v.constant!;
  if (c >= 0n) return intTy(c <= 0xffff_ffffn ? Int.u32 : Int.u64);
  return intTy(c >= -(1n << 31n) ? Int.i32 : Int.i64);
}

export { constValue };
