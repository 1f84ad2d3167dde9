// Control flow: if/else, return, break/continue, switch. The packet epoch is tracked per
// path: a view is stale after an `if` when either branch moved packet data.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import { llType } from "../../types.js";
import type { FunctionState } from "../context.js";
import { convertImplicit, constOperand } from "../integers.js";
import { lowerCondition } from "../expressions/operators.js";

export function lowerIf(fs: FunctionState, node: ts.IfStatement): void {
  const fb = fs.fb;
  const then = fb.newBlock("if.then");
  const otherwise = node.elseStatement ? fb.newBlock("if.else") : undefined;
  const join = fb.newBlock("if.end");
  lowerCondition(fs, node.expression, then, otherwise ?? join);
  const before = fs.epoch;
  fb.setBlock(then);
  fs.lowerStatement(node.thenStatement);
  fb.br(join);
  const afterThen = fs.epoch;
  if (otherwise) {
    fb.setBlock(otherwise);
    fs.lowerStatement(node.elseStatement!);
    fb.br(join);
  }
  fs.epoch = Math.max(afterThen, fs.epoch, before);
  fb.setBlock(join);
}

export function lowerReturn(fs: FunctionState, node: ts.ReturnStatement): void {
  if (!node.expression) {
    fs.fb.ret("void");
    return;
  }
  const value = convertImplicit(fs, fs.lowerExpression(node.expression, fs.returnTy), fs.returnTy, node.expression);
  if (value.ty.kind === "view" || value.ty.kind === "ref") fs.checkFresh(value, node.expression.getText(), node.expression);
  fs.at(node);
  if (fs.returnTy.kind === "void") fs.fb.ret("void");
  else fs.fb.ret(`${llType(fs.returnTy)} ${value.ir}`);
}

export function lowerBreak(fs: FunctionState, node: ts.BreakStatement): void {
  if (node.label) fs.error(Diagnostics.LabelNotAllowed, node);
  const target = fs.loops.at(-1);
  if (target) fs.fb.br(target.breakBlock);
}

export function lowerContinue(fs: FunctionState, node: ts.ContinueStatement): void {
  if (node.label) fs.error(Diagnostics.LabelNotAllowed, node);
  const target = [...fs.loops].reverse().find((l) => l.continueBlock !== l.breakBlock);
  if (target) fs.fb.br(target.continueBlock);
}

/** `switch` on an integer with constant cases; fall-through works as in C. */
export function lowerSwitch(fs: FunctionState, node: ts.SwitchStatement): void {
  const fb = fs.fb;
  const subject = fs.lowerExpression(node.expression);
  if (subject.ty.kind !== "int" && subject.ty.kind !== "const") {
    fs.error(Diagnostics.UnsupportedType, node.expression, `switch on ${subject.ty.kind}`);
    return;
  }
  const exit = fb.newBlock("switch.end");
  const clauses = node.caseBlock.clauses;
  const blocks = clauses.map((c) => fb.newBlock(ts.isDefaultClause(c) ? "switch.default" : "switch.case"));
  const defaultIndex = clauses.findIndex(ts.isDefaultClause);
  const defaultBlock = defaultIndex >= 0 ? blocks[defaultIndex]! : exit;
  const int = subject.ty.kind === "int" ? subject.ty.int : { bits: 64 as const, signed: true, be: false };
  const subjectIr = subject.ty.kind === "const" ? subject.constant!.toString() : subject.ir;
  const cases: string[] = [];
  const seen = new Set<string>();
  clauses.forEach((clause, i) => {
    if (!ts.isCaseClause(clause)) return;
    const v = convertImplicit(fs, fs.lowerExpression(clause.expression), { kind: "int", int }, clause.expression);
    if (v.constant === undefined) {
      fs.error(Diagnostics.ConstantRequired, clause.expression, "A case label");
      return;
    }
    const operand = constOperand(v.constant, int);
    if (seen.has(operand)) return;
    seen.add(operand);
    cases.push(`i${int.bits} ${operand}, label %${blocks[i]!.label}`);
  });
  fs.at(node);
  fb.inst(`switch i${int.bits} ${subjectIr}, label %${defaultBlock.label} [ ${cases.join(" ")} ]`);
  (fb.block as { terminated: boolean }).terminated = true;
  const outer = fs.loops.at(-1);
  fs.loops.push({ breakBlock: exit, continueBlock: outer?.continueBlock ?? exit });
  const before = fs.epoch;
  let latest = before;
  clauses.forEach((clause, i) => {
    fb.setBlock(blocks[i]!);
    for (const s of clause.statements) fs.lowerStatement(s);
    fb.br(blocks[i + 1] ?? exit);
    latest = Math.max(latest, fs.epoch);
  });
  fs.loops.pop();
  fs.epoch = latest;
  fb.setBlock(exit);
}
