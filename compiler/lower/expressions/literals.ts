// Literals: integers are untyped constants until they meet a type; floats are rejected by
// the subset pass; bigint literals exist only inside u64(…)/i64(…) conversions.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { type FunctionState, type Value, constValue } from "../context.js";

export function lowerNumericLiteral(fs: FunctionState, node: ts.NumericLiteral): Value {
  const text = node.text;
  if (!/^\d+$/.test(text)) {
    fs.error(Diagnostics.FloatNotAllowed, node, node.getText());
    return constValue(0n);
  }
  // node.text is normalised to decimal, but loses precision past 2^53: reparse the source.
  const source = node.getText().replace(/_/g, "");
  const value = /^0[xob]/i.test(source) ? BigInt(source) : /^\d+$/.test(source) ? BigInt(source) : BigInt(text);
  return constValue(value);
}

export function lowerBigIntLiteral(fs: FunctionState, node: ts.BigIntLiteral): Value {
  const source = node.text.replace(/_/g, "").replace(/n$/, "");
  return constValue(BigInt(source));
}

export function lowerKeyword(fs: FunctionState, node: ts.Node): Value {
  switch (node.kind) {
    case ts.SyntaxKind.TrueKeyword:
      return { ty: { kind: "bool" }, ir: "true", constant: 1n };
    case ts.SyntaxKind.FalseKeyword:
      return { ty: { kind: "bool" }, ir: "false", constant: 0n };
    default:
      return { ty: { kind: "null" }, ir: "null" };
  }
}
