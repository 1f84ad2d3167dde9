// Expression lowering: one visitor per syntax kind, registered in a table. A kind without a
// visitor is an "unsupported syntax" diagnostic, never an exception. `expected` is the type
// the context wants (an object literal needs it to know its struct).
import ts from "typescript";
import { Diagnostics } from "../../diagnostics.js";
import type { Ty } from "../../types.js";
import { type FunctionState, type Value, constValue } from "../context.js";
import { lowerNumericLiteral, lowerBigIntLiteral, lowerKeyword } from "./literals.js";
import { lowerIdentifier, lowerPropertyAccess, lowerElementAccess } from "./access.js";
import { lowerBinary, lowerPrefixUnary, lowerPostfixUnary, lowerConditional } from "./operators.js";
import { lowerCall } from "./calls.js";
import { lowerObjectLiteralValue } from "./objects.js";
import { tyOf } from "../typing.js";
import { reportNullRemoval } from "./null-removal.js";

export type ExpressionVisitor<N extends ts.Node = ts.Node> = (fs: FunctionState, node: N, expected?: Ty) => Value;

const visitors = new Map<ts.SyntaxKind, ExpressionVisitor<any>>([
  [ts.SyntaxKind.NumericLiteral, lowerNumericLiteral],
  [ts.SyntaxKind.BigIntLiteral, lowerBigIntLiteral],
  [ts.SyntaxKind.TrueKeyword, lowerKeyword],
  [ts.SyntaxKind.FalseKeyword, lowerKeyword],
  [ts.SyntaxKind.NullKeyword, lowerKeyword],
  [ts.SyntaxKind.Identifier, lowerIdentifier],
  [ts.SyntaxKind.PropertyAccessExpression, lowerPropertyAccess],
  [ts.SyntaxKind.ElementAccessExpression, lowerElementAccess],
  [ts.SyntaxKind.BinaryExpression, lowerBinary],
  [ts.SyntaxKind.PrefixUnaryExpression, lowerPrefixUnary],
  [ts.SyntaxKind.PostfixUnaryExpression, lowerPostfixUnary],
  [ts.SyntaxKind.ConditionalExpression, lowerConditional],
  [ts.SyntaxKind.CallExpression, lowerCall],
  [ts.SyntaxKind.ObjectLiteralExpression, lowerObjectLiteralValue],
  [ts.SyntaxKind.ParenthesizedExpression, (fs: FunctionState, n: ts.ParenthesizedExpression, e?: Ty) => lowerExpression(fs, n.expression, e)],
  // `{ … } as FibLookup`: the asserted struct type is what an object literal builds.
  [ts.SyntaxKind.AsExpression, (fs: FunctionState, n: ts.AsExpression, e?: Ty) => (reportNullRemoval(fs, n), lowerExpression(fs, n.expression, e ?? (ts.isObjectLiteralExpression(skipParens(n.expression)) ? tyOf(fs.mod, fs.checker.getTypeFromTypeNode(n.type), n.type) : undefined)))],
  [ts.SyntaxKind.NonNullExpression, (fs: FunctionState, n: ts.NonNullExpression, e?: Ty) => (reportNullRemoval(fs, n), lowerExpression(fs, n.expression, e))],
  [ts.SyntaxKind.SatisfiesExpression, (fs: FunctionState, n: ts.SatisfiesExpression, e?: Ty) => lowerExpression(fs, n.expression, e)],
]);

export function lowerExpression(fs: FunctionState, node: ts.Expression, expected?: Ty): Value {
  const visitor = visitors.get(node.kind);
  if (!visitor) {
    fs.error(Diagnostics.UnsupportedSyntax, node, describeKind(node.kind));
    return constValue(0n);
  }
  fs.at(node);
  return visitor(fs, node, expected);
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

export function describeKind(kind: ts.SyntaxKind): string {
  const name = ts.SyntaxKind[kind] ?? "This syntax";
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/ (Expression|Statement|Declaration)$/, " $1").trim();
}
