// Loops. The verifier accepts a loop only when it can walk every iteration, so the subset
// has one loop form whose bound is visible in the source: `for (let i = A; i < B; i++)`
// with constant A and B (also <=, >, >=, and += / -= a constant step), where the body does
// not assign the counter. `while`/`do` loops are rejected with a hint to write that form.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import type { FunctionState } from "../context.js";
import { evalConstant } from "../constants.js";
import { lowerCondition } from "../expressions/operators.js";
import { lowerVariableDeclarationList } from "./variables.js";

/** The verifier walks every iteration; beyond this a program cannot load in practice. */
const maxIterations = 1n << 16n;

interface LoopBound {
  readonly counter: ts.Symbol;
  readonly min: bigint;
  readonly max: bigint;
}

export function lowerFor(fs: FunctionState, node: ts.ForStatement): void {
  const bound = provenBound(fs, node);
  if (!bound) {
    fs.error(Diagnostics.UnboundedLoop, node.condition ?? node);
    return;
  }
  if (bound.max - bound.min > maxIterations) {
    fs.error(Diagnostics.LoopTooLong, node.condition ?? node, (bound.max - bound.min).toString(), maxIterations.toString());
    return;
  }
  const fb = fs.fb;
  if (node.initializer && ts.isVariableDeclarationList(node.initializer)) lowerVariableDeclarationList(fs, node.initializer);
  const cond = fb.newBlock("for.cond");
  const body = fb.newBlock("for.body");
  const step = fb.newBlock("for.step");
  const exit = fb.newBlock("for.end");
  fb.br(cond);
  fb.setBlock(cond);
  if (node.condition) lowerCondition(fs, node.condition, body, exit);
  else fb.br(body);
  fb.setBlock(body);
  fs.loops.push({ breakBlock: exit, continueBlock: step });
  fs.counterRanges.set(bound.counter, { min: bound.min, max: bound.max });
  fs.lowerStatement(node.statement);
  fs.counterRanges.delete(bound.counter);
  fs.loops.pop();
  fb.br(step);
  fb.setBlock(step);
  if (node.incrementor) fs.lowerExpression(node.incrementor);
  fb.br(cond);
  fb.setBlock(exit);
}

export function lowerUnboundedLoop(fs: FunctionState, node: ts.WhileStatement | ts.DoStatement): void {
  fs.error(Diagnostics.UnboundedLoop, node.expression);
}

function provenBound(fs: FunctionState, node: ts.ForStatement): LoopBound | undefined {
  const init = node.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  const decl = init.declarations[0]!;
  if (!ts.isIdentifier(decl.name) || !decl.initializer || init.flags & ts.NodeFlags.Const) return undefined;
  const counter = fs.checker.getSymbolAtLocation(decl.name);
  const start = evalConstant(fs, decl.initializer);
  if (!counter || start === undefined || !node.condition || !node.incrementor) return undefined;
  const step = stepOf(fs, node.incrementor, counter);
  if (step === undefined || step === 0n) return undefined;
  const limit = limitOf(fs, node.condition, counter, step > 0n);
  if (limit === undefined) return undefined;
  if (assigns(fs, node.statement, counter)) return undefined;
  return step > 0n ? { counter, min: start, max: limit < start ? start : limit } : { counter, min: limit, max: start };
}

/** The counter's extreme value allowed by the condition (or one of its && conjuncts). */
function limitOf(fs: FunctionState, cond: ts.Expression, counter: ts.Symbol, upward: boolean): bigint | undefined {
  while (ts.isParenthesizedExpression(cond)) cond = cond.expression;
  if (!ts.isBinaryExpression(cond)) return undefined;
  const op = cond.operatorToken.kind;
  if (op === ts.SyntaxKind.AmpersandAmpersandToken)
    return limitOf(fs, cond.left, counter, upward) ?? limitOf(fs, cond.right, counter, upward);
  const isCounter = (e: ts.Expression) => ts.isIdentifier(e) && fs.checker.getSymbolAtLocation(e) === counter;
  let rel: ts.SyntaxKind = op;
  let other: ts.Expression;
  if (isCounter(cond.left)) other = cond.right;
  else if (isCounter(cond.right)) {
    other = cond.left;
    rel = flip(op);
  } else return undefined;
  const c = evalConstant(fs, other);
  if (c === undefined) return undefined;
  switch (rel) {
    case ts.SyntaxKind.LessThanToken:
      return upward ? c - 1n : undefined;
    case ts.SyntaxKind.LessThanEqualsToken:
      return upward ? c : undefined;
    case ts.SyntaxKind.GreaterThanToken:
      return upward ? undefined : c + 1n;
    case ts.SyntaxKind.GreaterThanEqualsToken:
      return upward ? undefined : c;
    case ts.SyntaxKind.ExclamationEqualsEqualsToken:
    case ts.SyntaxKind.ExclamationEqualsToken:
      return upward ? c - 1n : c + 1n;
  }
  return undefined;
}

function flip(op: ts.SyntaxKind): ts.SyntaxKind {
  switch (op) {
    case ts.SyntaxKind.LessThanToken:
      return ts.SyntaxKind.GreaterThanToken;
    case ts.SyntaxKind.LessThanEqualsToken:
      return ts.SyntaxKind.GreaterThanEqualsToken;
    case ts.SyntaxKind.GreaterThanToken:
      return ts.SyntaxKind.LessThanToken;
    case ts.SyntaxKind.GreaterThanEqualsToken:
      return ts.SyntaxKind.LessThanEqualsToken;
  }
  return op;
}

function stepOf(fs: FunctionState, inc: ts.Expression, counter: ts.Symbol): bigint | undefined {
  const isCounter = (e: ts.Expression) => ts.isIdentifier(e) && fs.checker.getSymbolAtLocation(e) === counter;
  if ((ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) && isCounter(inc.operand)) {
    if (inc.operator === ts.SyntaxKind.PlusPlusToken) return 1n;
    if (inc.operator === ts.SyntaxKind.MinusMinusToken) return -1n;
  }
  if (ts.isBinaryExpression(inc) && isCounter(inc.left)) {
    const c = evalConstant(fs, inc.right);
    if (c === undefined || c <= 0n) return undefined;
    if (inc.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) return c;
    if (inc.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken) return -c;
  }
  return undefined;
}

/** Whether `node` assigns the loop counter anywhere (which would void the bound). */
function assigns(fs: FunctionState, node: ts.Node, counter: ts.Symbol): boolean {
  let found = false;
  const isCounter = (e: ts.Expression) => ts.isIdentifier(e) && fs.checker.getSymbolAtLocation(e) === counter;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      isCounter(n.left)
    )
      found = true;
    if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) &&
      isCounter(n.operand)
    )
      found = true;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}
