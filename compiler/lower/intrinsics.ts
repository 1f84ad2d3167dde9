// Intrinsics: functions *declared* in the stdlib and implemented here, keyed by name.
// Each handler carries its signature as a one-line comment.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { type IntName, type IntType, Int, intTy, llInt, fieldSize } from "../types.js";
import { type FunctionState, type Value, constValue } from "./context.js";
import { byteSwaps, convertExplicit, convertImplicit, foldByteSwap } from "./integers.js";
import { BpfHelper, callHelper } from "./bpf-helpers.js";
import { allocateStruct, lowerPlace } from "./places.js";

type Intrinsic = (fs: FunctionState, node: ts.CallExpression) => Value;

function arg(fs: FunctionState, node: ts.CallExpression, i: number): Value {
  const a = node.arguments[i];
  if (!a) {
    fs.error(Diagnostics.HelperArgument, node, i + 1, node.expression.getText(), "given");
    return constValue(0n);
  }
  return fs.lowerExpression(a);
}

function argAs(fs: FunctionState, node: ts.CallExpression, i: number, t: IntType): Value {
  const v = arg(fs, node, i);
  return convertImplicit(fs, v, intTy(t), node.arguments[i] ?? node);
}

// u8(x) … i64(x): explicit conversion
const conversion =
  (name: IntName): Intrinsic =>
  (fs, node) =>
    convertExplicit(fs, arg(fs, node, 0), Int[name], node);

// htons(x: u16): be16 and friends: a byte swap (folded for constants)
const byteSwap =
  (from: IntType, to: IntType): Intrinsic =>
  (fs, node) => {
    const v = argAs(fs, node, 0, from);
    if (v.constant !== undefined) return foldByteSwap(v.constant, to);
    const ll = llInt(from);
    fs.mod.module.declare(`declare ${ll} @llvm.bswap.${ll}(${ll}) #2`);
    return { ty: intTy(to), ir: fs.fb.value(`call ${ll} @llvm.bswap.${ll}(${ll} ${v.ir})`) };
  };

function sizeTypeArgument(
  fs: FunctionState,
  node: ts.CallExpression,
): { size: number; layout?: ReturnType<FunctionState["mod"]["layouts"]["layoutOf"]> } | undefined {
  const typeNode = node.typeArguments?.[0];
  if (!typeNode) {
    fs.error(Diagnostics.ConstantRequired, node, "The type argument of sizeof/offsetof");
    return undefined;
  }
  const field = fs.mod.layouts.fieldTypeOf(fs.checker.getTypeFromTypeNode(typeNode), typeNode, typeNode.getText());
  if (!field) {
    fs.error(Diagnostics.UnsupportedType, typeNode, typeNode.getText());
    return undefined;
  }
  return { size: fieldSize(field), layout: field.kind === "struct" ? field.struct : field.kind === "array" ? field.array : undefined };
}

const noArgsHelper =
  (id: number, result: IntType): Intrinsic =>
  (fs) => {
    const r = callHelper(fs, id, "i64", []);
    return result.bits === 64 ? { ty: intTy(result), ir: r } : { ty: intTy(result), ir: fs.fb.value(`trunc i64 ${r} to ${llInt(result)}`) };
  };

// config<T>(…) / global<T>(…) are declarations, only valid as a module-level const
const moduleLevelOnly: Intrinsic = (fs, node) => {
  fs.error(Diagnostics.GlobalAtModuleLevel, node, node.expression.getText());
  return constValue(0n);
};

export const intrinsics: Record<string, Intrinsic> = {
  config: moduleLevelOnly,
  global: moduleLevelOnly,
  u8: conversion("u8"),
  u16: conversion("u16"),
  u32: conversion("u32"),
  u64: conversion("u64"),
  i8: conversion("i8"),
  i16: conversion("i16"),
  i32: conversion("i32"),
  i64: conversion("i64"),
  ...Object.fromEntries(Object.entries(byteSwaps).map(([name, { from, to }]) => [name, byteSwap(from, to)])),

  // sizeof<T>(): compile-time constant
  sizeof: (fs, node) => constValue(BigInt(sizeTypeArgument(fs, node)?.size ?? 0)),
  // offsetof<T>(field): compile-time constant
  offsetof: (fs, node) => {
    const t = sizeTypeArgument(fs, node);
    const nameArg = node.arguments[0];
    const field =
      t?.layout?.kind === "struct" && nameArg && ts.isStringLiteral(nameArg)
        ? t.layout.fields.find((f) => f.name === nameArg.text)
        : undefined;
    if (!field) {
      fs.error(Diagnostics.ConstantRequired, node, "offsetof's field name");
      return constValue(0n);
    }
    return constValue(BigInt(field.offset));
  },

  // zero<T>(): T — a zero-filled stack struct
  zero: (fs, node) => {
    const t = sizeTypeArgument(fs, node);
    if (!t?.layout) {
      fs.error(Diagnostics.ObjectLiteralNeedsType, node);
      return { ty: { kind: "null" }, ir: "null" };
    }
    return { ty: { kind: "view", layout: t.layout, nullable: false }, ir: allocateStruct(fs, t.layout) };
  },

  // atomicAdd(target: Ref<T> | field, delta): void — a BPF atomic add (lock xadd)
  atomicAdd: (fs, node) => {
    const target = node.arguments[0];
    if (!target) return constValue(0n);
    const targetType = fs.checker.getTypeAtLocation(target);
    let ptr: string | undefined;
    let t: IntType | undefined;
    const asRef = targetType.getProperty("value") ? fs.lowerExpression(target) : undefined;
    if (asRef?.ty.kind === "ref") {
      ptr = asRef.ir;
      t = asRef.ty.int;
    } else {
      const place = lowerPlace(fs, target);
      if (place?.kind === "memory" && place.readonlyConfig !== undefined) {
        fs.error(Diagnostics.ConfigReadOnly, target, place.readonlyConfig);
        return constValue(0n);
      }
      if (place?.kind === "memory" && place.field.kind === "int" && !place.bitField) {
        ptr = place.ptr;
        t = place.field.int;
      }
    }
    if (!ptr || !t || t.bits < 32) {
      fs.error(Diagnostics.HelperArgument, target, 1, "atomicAdd", "a Ref<u32|u64> or a 32/64-bit field of a map value");
      return constValue(0n);
    }
    const delta = argAs(fs, node, 1, t);
    fs.fb.inst(`atomicrmw add ptr ${ptr}, ${llInt(t)} ${delta.ir} seq_cst, align ${t.bits / 8}`);
    return { ty: { kind: "void" }, ir: "" };
  },

  // ktimeGetNs(): u64, ktimeGetBootNs(): u64, prandomU32(): u32, smpProcessorId(): u32
  ktimeGetNs: noArgsHelper(BpfHelper.ktimeGetNs, Int.u64),
  ktimeGetBootNs: noArgsHelper(BpfHelper.ktimeGetBootNs, Int.u64),
  prandomU32: noArgsHelper(BpfHelper.getPrandomU32, Int.u32),
  smpProcessorId: noArgsHelper(BpfHelper.getSmpProcessorId, Int.u32),

  // redirect(ifindex: u32, flags: u64): XDP
  redirect: (fs, node) => {
    const ifindex = argAs(fs, node, 0, Int.u32);
    const flags = argAs(fs, node, 1, Int.u64);
    const wide = fs.fb.value(`zext i32 ${ifindex.ir} to i64`);
    const r = callHelper(fs, BpfHelper.redirect, "i64", [`i64 ${wide}`, `i64 ${flags.ir}`]);
    return { ty: intTy(Int.u32), ir: fs.fb.value(`trunc i64 ${r} to i32`) };
  },

  // tailCall(progs: ProgArray, index: u32): void (the context is the enclosing function's).
  // Void because the verifier marks R0 unreadable after bpf_tail_call ("R0 !read_ok"): a
  // program that used the result was rejected at load time.
  tailCall: (fs, node) => {
    const progs = arg(fs, node, 0);
    const index = argAs(fs, node, 1, Int.u32);
    if (progs.ty.kind !== "map") fs.error(Diagnostics.HelperArgument, node, 1, "tailCall", "a ProgArray map");
    if (fs.ctx === undefined) {
      fs.error(Diagnostics.TailCallNeedsContext, node);
      return constValue(0n);
    }
    const wide = fs.fb.value(`zext i32 ${index.ir} to i64`);
    callHelper(fs, BpfHelper.tailCall, "i64", [`ptr ${fs.ctx}`, `ptr ${progs.ir}`, `i64 ${wide}`]);
    return { ty: { kind: "void" }, ir: "" };
  },

  // printk(format: string literal, ...args: integers (≤ 3)): i64
  // The trace buffer does not record which program printed: the format gets the program's
  // name in front ("firewall: …"), which `tsxdp trace` reads back.
  printk: (fs, node) => {
    const [format, ...rest] = node.arguments;
    if (!format || !ts.isStringLiteralLike(format) || rest.length > 3) {
      fs.error(Diagnostics.PrintkFormat, format ?? node);
      return constValue(0n);
    }
    const text = `${fs.program}: ${format.text}`;
    const fmt = fs.mod.module.cString(text);
    const args = rest.map((a) => {
      const v = fs.lowerExpression(a);
      if (v.ty.kind === "const") return `i64 ${v.constant}`;
      if (v.ty.kind !== "int") {
        fs.error(Diagnostics.PrintkFormat, a);
        return "i64 0";
      }
      return `i64 ${convertImplicit(fs, v, intTy(v.ty.int.signed ? Int.i64 : Int.u64), a).ir}`;
    });
    return {
      ty: intTy(Int.i64),
      ir: callHelper(fs, BpfHelper.tracePrintk, "i64", [`ptr ${fmt}`, `i32 ${Buffer.byteLength(text) + 1}`, ...args]),
    };
  },

  // csumDiff(from | null, fromSize, to | null, toSize, seed: u32): i64
  csumDiff: (fs, node) => {
    const from = arg(fs, node, 0);
    const fromSize = argAs(fs, node, 1, Int.u32);
    const to = arg(fs, node, 2);
    const toSize = argAs(fs, node, 3, Int.u32);
    const seed = argAs(fs, node, 4, Int.u32);
    return {
      ty: intTy(Int.i64),
      ir: callHelper(fs, BpfHelper.csumDiff, "i64", [
        `ptr ${from.ir}`,
        `i32 ${fromSize.ir}`,
        `ptr ${to.ir}`,
        `i32 ${toSize.ir}`,
        `i32 ${seed.ir}`,
      ]),
    };
  },

  // fibLookup(ctx, params: FibLookup, flags: u32): i64
  fibLookup: (fs, node) => {
    const ctx = arg(fs, node, 0);
    const params = arg(fs, node, 1);
    const flags = argAs(fs, node, 2, Int.u32);
    const size = params.ty.kind === "view" ? params.ty.layout.size : 64;
    return {
      ty: intTy(Int.i64),
      ir: callHelper(fs, BpfHelper.fibLookup, "i64", [`ptr ${ctx.ir}`, `ptr ${params.ir}`, `i32 ${size}`, `i32 ${flags.ir}`]),
    };
  },
};
