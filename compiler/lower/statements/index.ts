// Statement lowering: one visitor per syntax kind, registered in a table; a kind without a
// visitor is an "unsupported syntax" diagnostic.
import ts from "typescript";
import { Diagnostics } from "../../diagnostics.js";
import type { FunctionState } from "../context.js";
import { describeKind, lowerExpression } from "../expressions/index.js";
import { lowerVariableStatement } from "./variables.js";
import { lowerIf, lowerReturn, lowerBreak, lowerContinue, lowerSwitch } from "./control.js";
import { lowerFor, lowerUnboundedLoop } from "./loops.js";

type StatementVisitor<N extends ts.Node = ts.Node> = (fs: FunctionState, node: N) => void;

const visitors = new Map<ts.SyntaxKind, StatementVisitor<any>>([
  [ts.SyntaxKind.Block, (fs: FunctionState, n: ts.Block) => lowerStatements(fs, n.statements)],
  [ts.SyntaxKind.VariableStatement, lowerVariableStatement],
  [ts.SyntaxKind.ExpressionStatement, (fs: FunctionState, n: ts.ExpressionStatement) => void lowerExpression(fs, n.expression)],
  [ts.SyntaxKind.IfStatement, lowerIf],
  [ts.SyntaxKind.ReturnStatement, lowerReturn],
  [ts.SyntaxKind.BreakStatement, lowerBreak],
  [ts.SyntaxKind.ContinueStatement, lowerContinue],
  [ts.SyntaxKind.SwitchStatement, lowerSwitch],
  [ts.SyntaxKind.ForStatement, lowerFor],
  [ts.SyntaxKind.WhileStatement, lowerUnboundedLoop],
  [ts.SyntaxKind.DoStatement, lowerUnboundedLoop],
  [ts.SyntaxKind.EmptyStatement, () => undefined],
  // Types and interfaces inside a function have no code.
  [ts.SyntaxKind.InterfaceDeclaration, () => undefined],
  [ts.SyntaxKind.TypeAliasDeclaration, () => undefined],
]);

export function lowerStatement(fs: FunctionState, node: ts.Statement): void {
  const visitor = visitors.get(node.kind);
  if (!visitor) {
    fs.error(Diagnostics.UnsupportedSyntax, node, describeKind(node.kind));
    return;
  }
  fs.at(node);
  visitor(fs, node);
}

export function lowerStatements(fs: FunctionState, statements: readonly ts.Statement[]): void {
  for (const s of statements) lowerStatement(fs, s);
}
