// Expression lowering: one visitor per syntax kind, registered in a table. A kind without a
// visitor is an "unsupported syntax" diagnostic, never an exception. `expected` is the type
// the context wants (an object literal needs it to know its struct).
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import type { Ty } from "../../types.js";
import { type FunctionState, type Value, constValue, describeKind } from "../context.js";
import { lowerNumericLiteral, lowerBigIntLiteral, lowerKeyword } from "./literals.js";
import { lowerIdentifier, lowerPropertyAccess, lowerElementAccess } from "./access.js";
import { lowerBinary, lowerPrefixUnary, lowerPostfixUnary, lowerConditional } from "./operators.js";
import { lowerCall } from "./calls.js";
import { lowerObjectLiteralValue } from "./objects.js";
import { tyOf } from "../typing.js";
import { reportNullRemoval } from "./null-removal.js";

export type ExpressionVisitor<N extends ts.Node = ts.Node> = (fs: FunctionState, node: N, expected?: Ty) => Value;

/** The node type of each expression kind that has a visitor. */
interface ExpressionNodes {
  [ts.SyntaxKind.NumericLiteral]: ts.NumericLiteral;
  [ts.SyntaxKind.BigIntLiteral]: ts.BigIntLiteral;
  [ts.SyntaxKind.TrueKeyword]: ts.TrueLiteral;
  [ts.SyntaxKind.FalseKeyword]: ts.FalseLiteral;
  [ts.SyntaxKind.NullKeyword]: ts.NullLiteral;
  [ts.SyntaxKind.Identifier]: ts.Identifier;
  [ts.SyntaxKind.PropertyAccessExpression]: ts.PropertyAccessExpression;
  [ts.SyntaxKind.ElementAccessExpression]: ts.ElementAccessExpression;
  [ts.SyntaxKind.BinaryExpression]: ts.BinaryExpression;
  [ts.SyntaxKind.PrefixUnaryExpression]: ts.PrefixUnaryExpression;
  [ts.SyntaxKind.PostfixUnaryExpression]: ts.PostfixUnaryExpression;
  [ts.SyntaxKind.ConditionalExpression]: ts.ConditionalExpression;
  [ts.SyntaxKind.CallExpression]: ts.CallExpression;
  [ts.SyntaxKind.ObjectLiteralExpression]: ts.ObjectLiteralExpression;
  [ts.SyntaxKind.ParenthesizedExpression]: ts.ParenthesizedExpression;
  [ts.SyntaxKind.AsExpression]: ts.AsExpression;
  [ts.SyntaxKind.NonNullExpression]: ts.NonNullExpression;
  [ts.SyntaxKind.SatisfiesExpression]: ts.SatisfiesExpression;
}

/** One visitor per kind, each typed with its kind's node (a mismatch does not compile). */
const visitors: { readonly [K in keyof ExpressionNodes]: ExpressionVisitor<ExpressionNodes[K]> } = {
  [ts.SyntaxKind.NumericLiteral]: lowerNumericLiteral,
  [ts.SyntaxKind.BigIntLiteral]: lowerBigIntLiteral,
  [ts.SyntaxKind.TrueKeyword]: lowerKeyword,
  [ts.SyntaxKind.FalseKeyword]: lowerKeyword,
  [ts.SyntaxKind.NullKeyword]: lowerKeyword,
  [ts.SyntaxKind.Identifier]: lowerIdentifier,
  [ts.SyntaxKind.PropertyAccessExpression]: lowerPropertyAccess,
  [ts.SyntaxKind.ElementAccessExpression]: lowerElementAccess,
  [ts.SyntaxKind.BinaryExpression]: lowerBinary,
  [ts.SyntaxKind.PrefixUnaryExpression]: lowerPrefixUnary,
  [ts.SyntaxKind.PostfixUnaryExpression]: lowerPostfixUnary,
  [ts.SyntaxKind.ConditionalExpression]: lowerConditional,
  [ts.SyntaxKind.CallExpression]: lowerCall,
  [ts.SyntaxKind.ObjectLiteralExpression]: lowerObjectLiteralValue,
  [ts.SyntaxKind.ParenthesizedExpression]: (fs, n, e) => fs.lowerExpression(n.expression, e),
  // `{ … } as FibLookup`: the asserted struct type is what an object literal builds.
  [ts.SyntaxKind.AsExpression]: (fs, n, e) => (
    reportNullRemoval(fs, n),
    fs.lowerExpression(
      n.expression,
      e ??
        (ts.isObjectLiteralExpression(skipParens(n.expression)) ? tyOf(fs.mod, fs.checker.getTypeFromTypeNode(n.type), n.type) : undefined),
    )
  ),
  [ts.SyntaxKind.NonNullExpression]: (fs, n, e) => (reportNullRemoval(fs, n), fs.lowerExpression(n.expression, e)),
  [ts.SyntaxKind.SatisfiesExpression]: (fs, n, e) => fs.lowerExpression(n.expression, e),
};

export function lowerExpression(fs: FunctionState, node: ts.Expression, expected?: Ty): Value {
  // The table is keyed by kind, so the visitor found for node.kind takes this node.
  const visitor = (visitors as Partial<Record<ts.SyntaxKind, ExpressionVisitor<ts.Expression>>>)[node.kind];
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
