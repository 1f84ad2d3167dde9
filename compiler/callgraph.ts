// Pass 3: the call graph of user functions. BPF forbids recursion, so a cycle is reported
// at the call that closes it. The same walk finds which functions move packet data
// (adjustHead/adjustTail/adjustMeta, directly or through callees), so the lowering can mark
// a caller's views stale after calling one.
import ts from "#typescript";
import { Diagnostics, makeDiagnostic, type TsxDiagnostic } from "./diagnostics.js";
import { stdlibName } from "./types.js";

const packetMovers = new Set(["adjustHead", "adjustTail", "adjustMeta"]);

export interface CallGraph {
  readonly invalidatesPacket: Set<ts.FunctionDeclaration>;
  readonly diagnostics: TsxDiagnostic[];
}

export function analyseCalls(files: readonly ts.SourceFile[], checker: ts.TypeChecker): CallGraph {
  const calls = new Map<ts.FunctionDeclaration, { callee: ts.FunctionDeclaration; site: ts.CallExpression }[]>();
  const direct = new Set<ts.FunctionDeclaration>();
  for (const file of files) {
    for (const statement of file.statements) {
      if (!ts.isFunctionDeclaration(statement) || !statement.body) continue;
      const edges: { callee: ts.FunctionDeclaration; site: ts.CallExpression }[] = [];
      const visit = (n: ts.Node): void => {
        if (ts.isCallExpression(n)) {
          const callee = n.expression;
          if (
            ts.isPropertyAccessExpression(callee) &&
            packetMovers.has(callee.name.text) &&
            stdlibName(checker.getTypeAtLocation(callee.expression)) === "XdpContext"
          ) {
            direct.add(statement);
          }
          if (ts.isIdentifier(callee)) {
            let symbol = checker.getSymbolAtLocation(callee);
            if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
            const target = symbol?.declarations?.find(ts.isFunctionDeclaration);
            if (target?.body) edges.push({ callee: target, site: n });
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(statement.body);
      calls.set(statement, edges);
    }
  }

  const diagnostics: TsxDiagnostic[] = [];
  const state = new Map<ts.FunctionDeclaration, "visiting" | "done">();
  const reported = new Set<ts.CallExpression>();
  const walk = (fn: ts.FunctionDeclaration, path: ts.FunctionDeclaration[]): void => {
    state.set(fn, "visiting");
    for (const { callee, site } of calls.get(fn) ?? []) {
      if (state.get(callee) === "visiting") {
        if (!reported.has(site)) {
          reported.add(site);
          const cycle = [...path.slice(path.indexOf(callee)), fn, callee].map((f) => f.name?.text ?? "?");
          diagnostics.push(makeDiagnostic(Diagnostics.Recursion, site, callee.name?.text ?? "?", cycle.join(" → ")));
        }
        continue;
      }
      if (state.get(callee) !== "done") walk(callee, [...path, fn]);
    }
    state.set(fn, "done");
  };
  for (const fn of calls.keys()) if (!state.has(fn)) walk(fn, []);

  // Packet movers, propagated to callers until nothing changes (the graph is acyclic here).
  const invalidatesPacket = new Set(direct);
  let changed = true;
  while (changed) {
    changed = false;
    for (const [fn, edges] of calls) {
      if (!invalidatesPacket.has(fn) && edges.some((e) => invalidatesPacket.has(e.callee))) {
        invalidatesPacket.add(fn);
        changed = true;
      }
    }
  }
  return { invalidatesPacket, diagnostics };
}
