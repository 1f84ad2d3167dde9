// The compiler's own type model, and how it is read off TypeScript's types.
//
// TypeScript sees integers as branded numbers; the compiler needs widths, signedness and
// byte order, C struct layouts, and which values are pointers (views, refs, the context).
// Recognition goes through the type checker (brands and the stdlib's declarations), never
// through identifier text, so aliases and re-exports keep working.
import ts from "#typescript";
import { isStdlibFile } from "./frontend.js";

export interface IntType {
  readonly bits: 8 | 16 | 32 | 64;
  readonly signed: boolean;
  /** Network byte order: only bitwise operations and comparisons with the same type. */
  readonly be: boolean;
}

export const Int = {
  u8: { bits: 8, signed: false, be: false },
  u16: { bits: 16, signed: false, be: false },
  u32: { bits: 32, signed: false, be: false },
  u64: { bits: 64, signed: false, be: false },
  i8: { bits: 8, signed: true, be: false },
  i16: { bits: 16, signed: true, be: false },
  i32: { bits: 32, signed: true, be: false },
  i64: { bits: 64, signed: true, be: false },
  be16: { bits: 16, signed: false, be: true },
  be32: { bits: 32, signed: false, be: true },
  be64: { bits: 64, signed: false, be: true },
} as const satisfies Record<string, IntType>;
export type IntName = keyof typeof Int;

export function intName(t: IntType): IntName {
  if (t.be) return `be${t.bits}` as IntName;
  return `${t.signed ? "i" : "u"}${t.bits}` as IntName;
}
export const sameInt = (a: IntType, b: IntType) => a.bits === b.bits && a.signed === b.signed && a.be === b.be;
export const llInt = (t: IntType) => `i${t.bits}`;

export function intRange(t: IntType): [bigint, bigint] {
  const bits = BigInt(t.bits);
  return t.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

/** Wraps `v` to the type's width (two's complement for signed types). */
export function wrapTo(v: bigint, t: IntType): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

// ---- struct layout --------------------------------------------------------------------
export interface FieldLayout {
  readonly name: string;
  /** Byte offset of the field, or of its storage unit for a bit field. */
  readonly offset: number;
  readonly type: FieldType;
  readonly bitField?: { readonly storage: IntType; readonly bitOffset: number; readonly bits: number };
}
/**
 * How a value is shown where its type is read from BTF (tsxdp maps, bpftool): the members
 * of the enum a field is declared with, or an address (a field's `@display ipv4|ipv6|mac`).
 */
export type FieldDisplay =
  | { readonly enum: string; readonly members: readonly (readonly [string, number])[] }
  | { readonly address: "ipv4" | "ipv6" | "mac" };
export type FieldType =
  | { readonly kind: "int"; readonly int: IntType; readonly display?: FieldDisplay }
  | { readonly kind: "bool" }
  | { readonly kind: "struct"; readonly struct: StructLayout }
  | { readonly kind: "array"; readonly array: ArrayLayout; readonly display?: FieldDisplay };

export interface StructLayout {
  readonly kind: "struct";
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly FieldLayout[];
  readonly packed: boolean;
  readonly declaration?: ts.Declaration;
}
export interface ArrayLayout {
  readonly kind: "array";
  readonly element: FieldType;
  readonly length: number;
  readonly size: number;
  readonly align: number;
}

export function fieldSize(t: FieldType): number {
  switch (t.kind) {
    case "int":
      return t.int.bits / 8;
    case "bool":
      return 1;
    case "struct":
      return t.struct.size;
    case "array":
      return t.array.size;
  }
}
export function fieldAlign(t: FieldType): number {
  switch (t.kind) {
    case "int":
      return t.int.bits / 8;
    case "bool":
      return 1;
    case "struct":
      return t.struct.align;
    case "array":
      return t.array.align;
  }
}

// ---- values the lowering works with --------------------------------------------------
export type Ty =
  | { readonly kind: "int"; readonly int: IntType }
  | { readonly kind: "bool" }
  /** An untyped compile-time integer constant (a literal, sizeof, a module const). */
  | { readonly kind: "const" }
  | { readonly kind: "null" }
  | { readonly kind: "void" }
  | { readonly kind: "ctx" }
  /** A pointer to a struct or fixed array in the packet, on the stack or in a map value. */
  | { readonly kind: "view"; readonly layout: StructLayout | ArrayLayout; readonly nullable: boolean }
  /** A pointer to a scalar map value: `.value` reads and writes it. */
  | {
      readonly kind: "ref";
      readonly int: IntType;
      readonly nullable: boolean;
      /** A bool stored in a byte (`global<bool>`): `int` is its u8 storage. */ readonly bool?: true;
    }
  | { readonly kind: "map"; readonly mapName: string };

export const VoidTy: Ty = { kind: "void" };
export const BoolTy: Ty = { kind: "bool" };
export const intTy = (int: IntType): Ty => ({ kind: "int", int });

export function describeTy(t: Ty): string {
  switch (t.kind) {
    case "int":
      return intName(t.int);
    case "view":
      return (t.layout.kind === "struct" ? t.layout.name : "FixedArray") + (t.nullable ? " | null" : "");
    case "ref":
      return `Ref<${t.bool ? "bool" : intName(t.int)}>` + (t.nullable ? " | null" : "");
    case "const":
      return "integer constant";
    default:
      return t.kind;
  }
}

export function isPointer(t: Ty): boolean {
  return t.kind === "view" || t.kind === "ref" || t.kind === "ctx" || t.kind === "null";
}

/** The LLVM type a value of `t` is carried in. */
export function llType(t: Ty): string {
  switch (t.kind) {
    case "int":
      return llInt(t.int);
    case "bool":
      return "i1";
    case "const":
      return "i64";
    case "void":
      return "void";
    default:
      return "ptr";
  }
}

// ---- reading TypeScript types --------------------------------------------------------

/** The stdlib declaration name a type comes from (XdpContext, Ref, FixedArray, HashMap, …). */
export function stdlibName(type: ts.Type): string | undefined {
  const symbol = type.aliasSymbol ?? type.getSymbol();
  const decl = symbol?.declarations?.[0];
  if (!symbol || !decl || !isStdlibFile(decl.getSourceFile())) return undefined;
  return symbol.getName();
}

/**
 * The name of the stdlib declaration `node` (an identifier, usually a callee) refers to,
 * through imports and aliases; undefined for the user's own names, so a user's `htons` or
 * `sizeof` is never taken for the stdlib's.
 */
export function stdlibSymbolName(node: ts.Node, checker: ts.TypeChecker): string | undefined {
  let symbol = checker.getSymbolAtLocation(node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol?.declarations?.[0];
  return symbol && decl && isStdlibFile(decl.getSourceFile()) ? symbol.getName() : undefined;
}

/** The stdlib function a call calls (`u64`, `htons`, `printk`, …), resolved through the checker. */
export function stdlibCallee(call: ts.Node, checker: ts.TypeChecker): string | undefined {
  return ts.isCallExpression(call) && ts.isIdentifier(call.expression) ? stdlibSymbolName(call.expression, checker) : undefined;
}

const intBrandOrder: IntName[] = ["u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "be16", "be32", "be64"];

export function intFromType(type: ts.Type, checker: ts.TypeChecker): IntType | undefined {
  if (type.aliasSymbol && type.aliasSymbol.getName() in Int) {
    const decl = type.aliasSymbol.declarations?.[0];
    if (decl && isStdlibFile(decl.getSourceFile())) return Int[type.aliasSymbol.getName() as IntName];
  }
  if (type.isIntersection()) {
    for (const part of type.types) {
      const brand = part.getProperties().find((p) => p.getName().startsWith("__@__tsxdpInt"));
      if (!brand) continue;
      const tagType = checker.getNonNullableType(checker.getTypeOfSymbol(brand));
      const tags = new Set(tagType.getProperties().map((p) => p.getName()));
      const own = intBrandOrder.find((n) => tags.has(n));
      if (own) return Int[own];
    }
  }
  if (type.flags & ts.TypeFlags.EnumLike) return Int.u32;
  if (type.isUnion() && type.types.every((t) => t.flags & ts.TypeFlags.EnumLiteral)) return Int.u32;
  return undefined;
}

export function isBooleanType(type: ts.Type): boolean {
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return true;
  return type.isUnion() && type.types.every((t) => t.flags & ts.TypeFlags.BooleanLiteral);
}

/** The one type argument of a generic stdlib type (Ref<T>, FixedArray<T, N>). */
export function typeArguments(type: ts.Type, checker: ts.TypeChecker): readonly ts.Type[] {
  if (type.aliasTypeArguments) return type.aliasTypeArguments;
  if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
    return checker.getTypeArguments(type as ts.TypeReference);
  }
  return [];
}
