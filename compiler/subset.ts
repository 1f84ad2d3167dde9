// Pass 2: the subset check. Walks every user file and reports each construct outside the
// .xdp.ts subset with a diagnostic that names it and says what to write instead. It looks
// at syntax (and at the checker where a construct depends on a type); integer typing,
// bounds and views are checked later, during lowering.
import ts from "#typescript";
import { logCallLevel } from "./log-calls.js";
import { Diagnostics, makeDiagnostic, type DiagnosticTemplate, type TsxDiagnostic } from "./diagnostics.js";
import { isStdlibFile } from "./frontend.js";
import { intFromType, stdlibCallee, stdlibName } from "./types.js";
import { globalKindOf, isProgram, mapKindOf } from "./object-model.js";

const maxHelperParameters = 5;

export function checkSubset(files: readonly ts.SourceFile[], checker: ts.TypeChecker): TsxDiagnostic[] {
  const out: TsxDiagnostic[] = [];
  const report = (t: DiagnosticTemplate, node: ts.Node, ...args: (string | number)[]) => out.push(makeDiagnostic(t, node, ...args));
  for (const file of files) {
    if (file.isDeclarationFile || isStdlibFile(file)) continue;
    checkModuleLevel(file, checker, report);
    const visit = (node: ts.Node): void => {
      if (checkNode(node, checker, report)) ts.forEachChild(node, visit);
    };
    ts.forEachChild(file, visit);
  }
  return out;
}

type Report = (t: DiagnosticTemplate, node: ts.Node, ...args: (string | number)[]) => void;

function checkModuleLevel(file: ts.SourceFile, checker: ts.TypeChecker, report: Report): void {
  for (const statement of file.statements) {
    switch (statement.kind) {
      case ts.SyntaxKind.ImportDeclaration: {
        const spec = (statement as ts.ImportDeclaration).moduleSpecifier;
        if (ts.isStringLiteral(spec) && spec.text !== "tsxdp" && !spec.text.startsWith("."))
          report(Diagnostics.ImportNotAllowed, spec, spec.text);
        break;
      }
      case ts.SyntaxKind.FunctionDeclaration: {
        const fn = statement as ts.FunctionDeclaration;
        const exported = fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        if (exported && fn.body && !fn.name) report(Diagnostics.ProgramNeedsName, fn);
        else if (exported && fn.body && looksLikeMisdeclaredProgram(fn, checker))
          report(Diagnostics.ProgramSignature, fn.name ?? fn, fn.name?.text ?? "?");
        if (fn.parameters.length > maxHelperParameters)
          report(Diagnostics.TooManyArguments, fn.name ?? fn, fn.name?.text ?? "?", fn.parameters.length);
        break;
      }
      case ts.SyntaxKind.VariableStatement: {
        const list = (statement as ts.VariableStatement).declarationList;
        if (!(list.flags & ts.NodeFlags.Const))
          report(list.flags & ts.NodeFlags.Let ? Diagnostics.MutableGlobal : Diagnostics.VarNotAllowed, list);
        break;
      }
      case ts.SyntaxKind.InterfaceDeclaration:
      case ts.SyntaxKind.TypeAliasDeclaration:
      case ts.SyntaxKind.EnumDeclaration:
      case ts.SyntaxKind.ExportDeclaration:
      case ts.SyntaxKind.EmptyStatement:
        break;
      case ts.SyntaxKind.ClassDeclaration:
        break; // reported by the node walk
      default:
        report(Diagnostics.ModuleStatement, statement);
    }
  }
}

/**
 * An exported function taking the context is a helper unless it looks like a program gone
 * wrong: it returns XDP but takes more than the context, or it takes only the context
 * and returns a plain integer where XDP was meant.
 */
function looksLikeMisdeclaredProgram(fn: ts.FunctionDeclaration, checker: ts.TypeChecker): boolean {
  const first = fn.parameters[0];
  if (!first || stdlibName(checker.getTypeAtLocation(first)) !== "XdpContext" || isProgram(fn, checker)) return false;
  const returnType = checker.getSignatureFromDeclaration(fn)?.getReturnType();
  if (!returnType) return false;
  if (stdlibName(returnType) === "XDP") return true;
  const integer = (returnType.flags & ts.TypeFlags.NumberLike) !== 0 || intFromType(returnType, checker) !== undefined;
  return fn.parameters.length === 1 && integer && !(returnType.flags & ts.TypeFlags.EnumLike);
}

/**
 * An array literal inside the initial value of a module-level config<T>(…)/global<T>(…):
 * the constant bytes of a FixedArray, laid out at compile time (lower/globals.ts).
 */
function inGlobalInitializer(node: ts.Node, checker: ts.TypeChecker): boolean {
  let at = node.parent;
  while (
    ts.isArrayLiteralExpression(at) ||
    ts.isObjectLiteralExpression(at) ||
    ts.isPropertyAssignment(at) ||
    ts.isParenthesizedExpression(at) ||
    ts.isAsExpression(at)
  )
    at = at.parent;
  return (
    ts.isCallExpression(at) &&
    globalKindOf(at, checker) !== undefined &&
    ts.isVariableDeclaration(at.parent) &&
    ts.isSourceFile(at.parent.parent.parent.parent)
  );
}

/** Reports a node outside the subset; returns whether to visit its children. */
function checkNode(node: ts.Node, checker: ts.TypeChecker, report: Report): boolean {
  switch (node.kind) {
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      if (!stringAllowed(node, checker)) report(Diagnostics.StringNotAllowed, node);
      return false;
    case ts.SyntaxKind.TemplateExpression:
      report(Diagnostics.StringNotAllowed, node);
      return false;
    case ts.SyntaxKind.NumericLiteral: {
      const text = (node as ts.NumericLiteral).getText();
      if (/[.eE]/.test(text) && !/^0[xX]/.test(text)) report(Diagnostics.FloatNotAllowed, node, text);
      else if (literalValue(text) >= 1n << 64n) report(Diagnostics.LiteralTooLarge, node, text);
      return false;
    }
    case ts.SyntaxKind.BigIntLiteral: {
      const conversion = stdlibCallee(node.parent, checker);
      if (conversion !== "u64" && conversion !== "i64") report(Diagnostics.BigIntNotAllowed, node, node.getText());
      else if (literalValue(node.getText().replace(/n$/, "")) >= 1n << 64n) report(Diagnostics.LiteralTooLarge, node, node.getText());
      return false;
    }
    case ts.SyntaxKind.AnyKeyword:
      report(Diagnostics.AnyNotAllowed, node);
      return false;
    case ts.SyntaxKind.ClassDeclaration:
    case ts.SyntaxKind.ClassExpression:
      report(Diagnostics.ClassNotAllowed, node);
      return false;
    case ts.SyntaxKind.ArrowFunction:
    case ts.SyntaxKind.FunctionExpression:
      report(Diagnostics.ClosureNotAllowed, node);
      return false;
    case ts.SyntaxKind.FunctionDeclaration: {
      const fn = node as ts.FunctionDeclaration;
      if (!ts.isSourceFile(fn.parent)) {
        report(Diagnostics.ClosureNotAllowed, fn.name ?? fn);
        return false;
      }
      if (fn.asteriskToken || fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword))
        report(Diagnostics.AsyncNotAllowed, fn.name ?? fn);
      return true;
    }
    case ts.SyntaxKind.ThrowStatement:
      report(Diagnostics.ExceptionNotAllowed, node, "throw");
      return false;
    case ts.SyntaxKind.TryStatement:
      report(Diagnostics.ExceptionNotAllowed, node, "try/catch");
      return false;
    case ts.SyntaxKind.AwaitExpression:
    case ts.SyntaxKind.YieldExpression:
      report(Diagnostics.AsyncNotAllowed, node);
      return false;
    case ts.SyntaxKind.ArrayLiteralExpression:
      if (inGlobalInitializer(node, checker)) return true;
      report(Diagnostics.DynamicArrayNotAllowed, node);
      return false;
    case ts.SyntaxKind.NewExpression: {
      const ne = node as ts.NewExpression;
      const name = stdlibName(checker.getTypeAtLocation(ne));
      const isMap = mapKindOf(name) !== undefined;
      if (!isMap) report(Diagnostics.AllocationNotAllowed, ne, ne.expression.getText());
      else if (!isModuleLevelConst(ne)) report(Diagnostics.MapAtModuleLevel, ne, name!);
      return true;
    }
    case ts.SyntaxKind.ThisKeyword:
      report(Diagnostics.ThisNotAllowed, node);
      return false;
    case ts.SyntaxKind.DeleteExpression:
      report(Diagnostics.DeleteNotAllowed, node);
      return false;
    case ts.SyntaxKind.LabeledStatement:
      report(Diagnostics.LabelNotAllowed, node);
      return true;
    case ts.SyntaxKind.ObjectBindingPattern:
    case ts.SyntaxKind.ArrayBindingPattern:
      report(Diagnostics.DestructuringNotAllowed, node);
      return false;
    case ts.SyntaxKind.QuestionDotToken:
      report(Diagnostics.OptionalChainingNotAllowed, node.parent);
      return false;
    case ts.SyntaxKind.ForInStatement:
    case ts.SyntaxKind.ForOfStatement:
      report(
        Diagnostics.UnsupportedSyntax,
        (node as ts.ForInOrOfStatement).initializer,
        node.kind === ts.SyntaxKind.ForInStatement ? "for…in" : "for…of",
      );
      return false;
    case ts.SyntaxKind.TypeOfExpression:
      report(Diagnostics.UnsupportedOperator, node, "typeof", "Values have static types in .xdp.ts; no runtime type tests are needed.");
      return false;
    case ts.SyntaxKind.VoidExpression:
      report(Diagnostics.UnsupportedOperator, node, "void", "Call the function as a statement.");
      return false;
    case ts.SyntaxKind.SpreadElement:
    case ts.SyntaxKind.SpreadAssignment:
      report(Diagnostics.UnsupportedSyntax, node, "Spread (...)");
      return false;
    case ts.SyntaxKind.RegularExpressionLiteral:
      report(Diagnostics.StringNotAllowed, node);
      return false;
    case ts.SyntaxKind.BinaryExpression: {
      const op = (node as ts.BinaryExpression).operatorToken;
      const unsupported: Partial<Record<ts.SyntaxKind, string>> = {
        [ts.SyntaxKind.AsteriskAsteriskToken]: "Multiply explicitly, or precompute the constant.",
        [ts.SyntaxKind.AsteriskAsteriskEqualsToken]: "Multiply explicitly, or precompute the constant.",
        [ts.SyntaxKind.InstanceOfKeyword]: "Values have static types in .xdp.ts; no runtime type tests are needed.",
        [ts.SyntaxKind.InKeyword]: "Struct fields are fixed at compile time; use a map's lookup() for membership.",
        [ts.SyntaxKind.QuestionQuestionToken]: "Check for null with if (v === null) … instead.",
        [ts.SyntaxKind.QuestionQuestionEqualsToken]: "Check for null with if (v === null) … instead.",
        [ts.SyntaxKind.BarBarEqualsToken]: "Write the assignment inside an if.",
        [ts.SyntaxKind.AmpersandAmpersandEqualsToken]: "Write the assignment inside an if.",
      };
      const hint = unsupported[op.kind];
      if (hint) report(Diagnostics.UnsupportedOperator, op, op.getText(), hint);
      return true;
    }
    case ts.SyntaxKind.VariableDeclarationList: {
      const list = node as ts.VariableDeclarationList;
      if (!(list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let)) && !ts.isSourceFile(list.parent.parent))
        report(Diagnostics.VarNotAllowed, list);
      return true;
    }
    case ts.SyntaxKind.WithStatement:
    case ts.SyntaxKind.DebuggerStatement:
      report(Diagnostics.UnsupportedSyntax, node, node.kind === ts.SyntaxKind.WithStatement ? "with" : "debugger");
      return false;
    case ts.SyntaxKind.GetAccessor:
    case ts.SyntaxKind.SetAccessor:
    case ts.SyntaxKind.MethodDeclaration:
      report(Diagnostics.ClassNotAllowed, node);
      return false;
    case ts.SyntaxKind.CallExpression: {
      const call = node as ts.CallExpression;
      if (stdlibCallee(call, checker) === "printk") {
        const fmt = call.arguments[0];
        if (!fmt || !ts.isStringLiteralLike(fmt) || call.arguments.length > 4) report(Diagnostics.PrintkFormat, fmt ?? call);
      }
      const logLevel = logCallLevel(checker, call);
      const format = call.arguments[0];
      if (logLevel && !(format && ts.isStringLiteralLike(format))) report(Diagnostics.LogFormatNotConstant, format ?? call, logLevel);
      return true;
    }
  }
  // Type positions may use literal types (strings in `keyof`, `"byName"` options, …).
  return !ts.isTypeNode(node) || node.kind === ts.SyntaxKind.TypeReference;
}

/** The value of an integer literal's source text (decimal, 0x, 0o, 0b; `_` separators). */
function literalValue(text: string): bigint {
  try {
    return BigInt(text.replace(/_/g, ""));
  } catch {
    return 0n; // not an integer literal TypeScript accepted; its own error says so
  }
}

/** Strings are allowed only as printk and log formats, module specifiers, offsetof field names and map options. */
function stringAllowed(node: ts.Node, checker: ts.TypeChecker): boolean {
  const parent = node.parent;
  if (ts.isCallExpression(parent) && parent.arguments[0] === node && logCallLevel(checker, parent)) return true;
  if (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent) || ts.isLiteralTypeNode(parent)) return true;
  if (ts.isCallExpression(parent) && parent.arguments[0] === node) {
    const callee = stdlibCallee(parent, checker);
    return callee === "printk" || callee === "offsetof";
  }
  if (ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) {
    // A map's `pinning: "byName"`: the option as the stdlib's map options declare it.
    const option = checker.getContextualType(parent.parent)?.getProperty(parent.name.getText());
    const decl = option?.declarations?.[0];
    return option?.getName() === "pinning" && decl !== undefined && isStdlibFile(decl.getSourceFile());
  }
  return false;
}

function isModuleLevelConst(ne: ts.NewExpression): boolean {
  const decl = ne.parent;
  return (
    ts.isVariableDeclaration(decl) &&
    decl.initializer === ne &&
    ts.isVariableDeclarationList(decl.parent) &&
    (decl.parent.flags & ts.NodeFlags.Const) !== 0 &&
    ts.isSourceFile(decl.parent.parent.parent)
  );
}
