// Code fixes for the diagnostics whose hint is mechanical, in the shape TypeScript's language
// service returns (ts.CodeFixAction), so the editor plugin hands them over unchanged:
//   TSX2001 implicit narrowing      → wrap the value in the target's conversion, u8(…)
//   TSX2003 byte order vs constant  → wrap the constant in htons(…) / htonl(…)
//   TSX3009 null removed by ! or as → drop the assertion, check the view on the next line
// Each fix also imports the function it writes from "tsxdp" when the file does not yet.
import ts from "#typescript";
import { Diagnostics, type TsxDiagnostic } from "./diagnostics.js";
import { stdlibName } from "./types.js";

type Fixer = (d: TsxDiagnostic, node: ts.Node, checker: ts.TypeChecker) => ts.CodeFixAction | undefined;

const hostToNetwork: Readonly<Record<string, string>> = { be16: "htons", be32: "htonl" };

const fixers = new Map<number, Fixer>([
  [
    Diagnostics.ImplicitNarrowing.code,
    (d, node) => {
      const [from, to] = (d.args ?? []) as string[];
      if (!to || from === "bool" || !ts.isExpression(node)) return undefined;
      return wrapIn(node, to, `Convert explicitly with ${to}(…)`, "tsxdpConvert");
    },
  ],
  [
    Diagnostics.ByteOrderMix.code,
    (d, node) => {
      const [networkType, other] = (d.args ?? []) as string[];
      const convert = hostToNetwork[networkType ?? ""];
      if (!convert) return undefined;
      const constant = ts.isBinaryExpression(node)
        ? [node.left, node.right].find(isIntegerConstant)
        : other === "an integer constant" && ts.isExpression(node)
          ? node
          : undefined;
      if (!constant) return undefined;
      return wrapIn(constant, convert, `Convert the constant to network order with ${convert}(…)`, "tsxdpByteOrder");
    },
  ],
  [
    Diagnostics.NullRemoved.code,
    (_, node, checker) => {
      if (!ts.isNonNullExpression(node) && !ts.isAsExpression(node)) return undefined;
      const file = node.getSourceFile();
      const declaration = node.parent;
      const statement = declaration?.parent?.parent;
      if (
        !ts.isVariableDeclaration(declaration) ||
        declaration.initializer !== node ||
        !ts.isIdentifier(declaration.name) ||
        !statement ||
        !ts.isVariableStatement(statement)
      )
        return undefined;
      const fn = ts.findAncestor(statement, ts.isFunctionDeclaration);
      const returnType = fn && checker.getSignatureFromDeclaration(fn)?.getReturnType();
      if (!returnType || stdlibName(returnType) !== "XDP") return undefined;
      const line = file.getLineAndCharacterOfPosition(statement.getStart(file)).line;
      const indent = /^\s*/.exec(file.text.slice(file.getLineStarts()[line], statement.getStart(file)))![0];
      const name = declaration.name.text;
      const changes: ts.TextChange[] = [
        { span: span(node, file), newText: node.expression.getText(file) },
        { span: { start: statement.getEnd(), length: 0 }, newText: `\n${indent}if (${name} === null) return XDP.PASS;` },
        ...importChange(file, "XDP"),
      ];
      return {
        fixName: "tsxdpNullCheck",
        description: `Check '${name}' for null instead`,
        changes: [{ fileName: file.fileName, textChanges: changes }],
      };
    },
  ],
]);

/** The diagnostic codes that may come with a fix (the editor asks for fixes only for these). */
export const fixableCodes: readonly number[] = [...fixers.keys()];

export function codeFixesFor(d: TsxDiagnostic, checker: ts.TypeChecker): ts.CodeFixAction[] {
  const fixer = fixers.get(d.code);
  if (d.prefix !== "TSX" || !fixer || !d.file || d.start === undefined) return [];
  const node = nodeAt(d.file, d.start, d.length ?? 0);
  const fix = node && fixer(d, node, checker);
  return fix ? [fix] : [];
}

/** The outermost node covering exactly [start, start + length) (diagnostics report a node's span). */
function nodeAt(file: ts.SourceFile, start: number, length: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found || node.getEnd() < start || node.pos > start + length) return;
    if (node.getStart(file) === start && node.getEnd() === start + length) found = node;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  return found;
}

function isIntegerConstant(node: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return ts.isNumericLiteral(node) || (ts.isPrefixUnaryExpression(node) && ts.isNumericLiteral(node.operand));
}

function wrapIn(node: ts.Expression, fn: string, description: string, fixName: string): ts.CodeFixAction {
  const file = node.getSourceFile();
  const changes = [{ span: span(node, file), newText: `${fn}(${node.getText(file)})` }, ...importChange(file, fn)];
  return { fixName, description, changes: [{ fileName: file.fileName, textChanges: changes }] };
}

function span(node: ts.Node, file: ts.SourceFile): ts.TextSpan {
  return { start: node.getStart(file), length: node.getEnd() - node.getStart(file) };
}

/** Adds `name` to the file's `import { … } from "tsxdp"`, or a new import, unless it is there. */
function importChange(file: ts.SourceFile, name: string): ts.TextChange[] {
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== "tsxdp")
      continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    if (bindings.elements.some((e) => e.name.text === name)) return [];
    const last = bindings.elements[bindings.elements.length - 1];
    return last
      ? [{ span: { start: last.getEnd(), length: 0 }, newText: `, ${name}` }]
      : [{ span: { start: bindings.getStart(file) + 1, length: 0 }, newText: ` ${name} ` }];
  }
  return [{ span: { start: 0, length: 0 }, newText: `import { ${name} } from "tsxdp";\n` }];
}
