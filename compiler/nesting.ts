// The compiler's one limit on nesting: how deep expressions, statements and blocks may sit
// inside each other. TypeScript's parser and checker and the lowering all recurse over the
// syntax tree, so an unbounded depth ends in a stack overflow; a fixed limit, checked
// without recursion before anything else walks the tree, turns that into a diagnostic that
// names it. 256 is clang's default bracket depth and leaves TypeScript's checker (the
// deepest recursion, about 450 nested calls on Node's default stack) room to spare.
// The same walk bounds the cases of one switch: TypeScript's binder links every `break` of
// a switch to every other (quadratic: a 20,000-case switch took 46 s), and BPF has no jump
// tables, so such a switch is a long chain of compares anyway — a map lookup is the tool.
import ts from "#typescript";

export const maxNestingDepth = 256;
export const maxSwitchCases = 1024;

/** The first switch with more cases than the limit, with its count; undefined when none. */
export function switchTooLarge(file: ts.SourceFile): { node: ts.Node; cases: number } | undefined {
  const stack: ts.Node[] = [file];
  while (stack.length) {
    const node = stack.pop()!;
    if (ts.isSwitchStatement(node) && node.caseBlock.clauses.length > maxSwitchCases)
      return { node: node.expression, cases: node.caseBlock.clauses.length };
    ts.forEachChild(node, (child) => {
      stack.push(child);
    });
  }
  return undefined;
}

/** The first node nested deeper than the limit, with its depth; undefined when within it. */
export function tooDeeplyNested(file: ts.SourceFile): { node: ts.Node; depth: number } | undefined {
  const stack: { node: ts.Node; depth: number }[] = [{ node: file, depth: 0 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (depth > maxNestingDepth) return { node, depth };
    ts.forEachChild(node, (child) => {
      stack.push({ node: child, depth: depth + 1 });
    });
  }
  return undefined;
}
