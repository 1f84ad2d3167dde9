// The value-import graph of the TypeScript sources under some folders, and its cycles.
// Written on the TypeScript parser (already a dependency) rather than madge/dpdm: it needs
// the exact rule for what survives compilation — `import type`, and imports whose every
// name is `type`, are erased, so they cannot form a cycle at run time.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

/** The relative modules `file` loads at run time (static imports, re-exports, dynamic import()). */
export function valueImports(file: string, text = fs.readFileSync(file, "utf8")): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const add = (specifier: ts.Expression | undefined) => {
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith(".")) {
      out.push(path.resolve(path.dirname(file), specifier.text.replace(/\.js$/, ".ts")));
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (!clause.name &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!onlyTypes) add(node.moduleSpecifier);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const onlyTypes =
        node.isTypeOnly ||
        (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      if (!onlyTypes) add(node.moduleSpecifier);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every .ts file (not .d.ts, not .xdp.ts) under `folders`. */
export function sourceFiles(folders: readonly string[]): string[] {
  return folders.flatMap((folder) =>
    (fs.readdirSync(folder, { recursive: true, encoding: "utf8" }) as string[])
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.endsWith(".xdp.ts"))
      .map((f) => path.join(folder, f)),
  );
}

/**
 * The import cycles among `files`: each strongly connected component of more than one
 * file (or a file importing itself), as one cycle through it, paths relative to `root`.
 */
export function importCycles(files: readonly string[], root: string): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, valueImports(f).filter((t) => known.has(t))]));
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)!.includes(v)) components.push(component);
    }
  };
  for (const f of files) if (!index.has(f)) connect(f);
  return components.map((component) => cycleThrough(component, edges).map((f) => path.relative(root, f)));
}

/** One cycle through a strongly connected component (first file back to itself). */
function cycleThrough(component: string[], edges: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  // Breadth-first from start's successors back to start: the shortest cycle through it.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v)!) {
      if (!members.has(w) || previous.has(w)) continue;
      previous.set(w, v);
      if (w === start) queue.length = 0;
      else queue.push(w);
    }
  }
  const between: string[] = [];
  for (let v = previous.get(start)!; v !== start; v = previous.get(v)!) between.unshift(v);
  return [start, ...between, start];
}
