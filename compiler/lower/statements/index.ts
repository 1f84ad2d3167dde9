// Statement lowering: one visitor per syntax kind, registered in a table; a kind without a
// visitor is an "unsupported syntax" diagnostic.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { type FunctionState, describeKind } from "../context.js";
import { lowerVariableStatement } from "./variables.js";
import { lowerIf, lowerReturn, lowerBreak, lowerContinue, lowerSwitch } from "./control.js";
import { lowerFor, lowerUnboundedLoop } from "./loops.js";

type StatementVisitor<N extends ts.Node = ts.Node> = (fs: FunctionState, node: N) => void;

/** The node type of each statement kind that has a visitor. */
interface StatementNodes {
  [ts.SyntaxKind.Block]: ts.Block;
  [ts.SyntaxKind.VariableStatement]: ts.VariableStatement;
  [ts.SyntaxKind.ExpressionStatement]: ts.ExpressionStatement;
  [ts.SyntaxKind.IfStatement]: ts.IfStatement;
  [ts.SyntaxKind.ReturnStatement]: ts.ReturnStatement;
  [ts.SyntaxKind.BreakStatement]: ts.BreakStatement;
  [ts.SyntaxKind.ContinueStatement]: ts.ContinueStatement;
  [ts.SyntaxKind.SwitchStatement]: ts.SwitchStatement;
  [ts.SyntaxKind.ForStatement]: ts.ForStatement;
  [ts.SyntaxKind.WhileStatement]: ts.WhileStatement;
  [ts.SyntaxKind.DoStatement]: ts.DoStatement;
  [ts.SyntaxKind.EmptyStatement]: ts.EmptyStatement;
  [ts.SyntaxKind.InterfaceDeclaration]: ts.InterfaceDeclaration;
  [ts.SyntaxKind.TypeAliasDeclaration]: ts.TypeAliasDeclaration;
}

/** One visitor per kind, each typed with its kind's node (a mismatch does not compile). */
const visitors: { readonly [K in keyof StatementNodes]: StatementVisitor<StatementNodes[K]> } = {
  [ts.SyntaxKind.Block]: (fs, n) => fs.lowerStatements(n.statements),
  [ts.SyntaxKind.VariableStatement]: lowerVariableStatement,
  [ts.SyntaxKind.ExpressionStatement]: (fs, n) => void fs.lowerExpression(n.expression),
  [ts.SyntaxKind.IfStatement]: lowerIf,
  [ts.SyntaxKind.ReturnStatement]: lowerReturn,
  [ts.SyntaxKind.BreakStatement]: lowerBreak,
  [ts.SyntaxKind.ContinueStatement]: lowerContinue,
  [ts.SyntaxKind.SwitchStatement]: lowerSwitch,
  [ts.SyntaxKind.ForStatement]: lowerFor,
  [ts.SyntaxKind.WhileStatement]: lowerUnboundedLoop,
  [ts.SyntaxKind.DoStatement]: lowerUnboundedLoop,
  [ts.SyntaxKind.EmptyStatement]: () => undefined,
  // Types and interfaces inside a function have no code.
  [ts.SyntaxKind.InterfaceDeclaration]: () => undefined,
  [ts.SyntaxKind.TypeAliasDeclaration]: () => undefined,
};

export function lowerStatement(fs: FunctionState, node: ts.Statement): void {
  // The table is keyed by kind, so the visitor found for node.kind takes this node.
  const visitor = (visitors as Partial<Record<ts.SyntaxKind, StatementVisitor<ts.Statement>>>)[node.kind];
  if (!visitor) {
    fs.error(Diagnostics.UnsupportedSyntax, node, describeKind(node.kind));
    return;
  }
  fs.at(node);
  visitor(fs, node);
}
