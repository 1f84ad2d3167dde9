// A corpus of hostile compiler inputs, generated: deep nesting and huge functions (issue 10
// item 3), and hostile names. Each entry is a program (with the path it is written under)
// and what the compiler must do with it: `expect: "object"` (compile, and the kernel
// verifier accepts the object) or `expect: <TSX code>` (that diagnostic, at check time).
// Never an internal error (TSX9001), never an object the verifier refuses.
// Used by scripts/fuzz-compiler.mjs, which test/compiler/fuzz-script.test.ts runs in CI.

const header = 'import { XdpContext, XDP, u32 } from "tsxdp";\n';
const program = (body, before = "") => `${header}${before}export function p(ctx: XdpContext): XDP {\n${body}\n  return XDP.PASS;\n}\n`;

/** Deeper than the limit (256 levels) in each way the parser and checker recurse, and just below it. */
function deepNesting() {
  const nestingTooDeep = 3010;
  const cases = [];
  const shapes = {
    parentheses: (n) => `  const a: u32 = ${"(".repeat(n)}ctx.len${")".repeat(n)};\n  if (a === 2) return XDP.DROP;`,
    ifs: (n) => `  let a: u32 = 0;\n${"  if (ctx.len > 1) {".repeat(n)} a = 1; ${"}".repeat(n)}\n  if (a === 2) return XDP.DROP;`,
    elseIfs: (n) => `  let a: u32 = 0;\n  if (ctx.len === 0) a = 1;\n${"  else if (ctx.len === 1) a = 2;\n".repeat(n)}  if (a === 2) return XDP.DROP;`,
    ternaries: (n) => `  const a: u32 = ${"ctx.len > 1 ? 1 : ".repeat(n)}0;\n  if (a === 2) return XDP.DROP;`,
    binaryChain: (n) => `  const a: u32 = ctx.len${" + 1".repeat(n)};\n  if (a === 2) return XDP.DROP;`,
    unaryChain: (n) => `  const a: u32 = ${"~".repeat(n % 2 ? n + 1 : n)}ctx.len;\n  if (a === 2) return XDP.DROP;`,
    blocks: (n) => `  let a: u32 = 0;\n${"{".repeat(n)} a = 1; ${"}".repeat(n)}\n  if (a === 2) return XDP.DROP;`,
    calls: (n) => `  const a: u32 = ${"f(".repeat(n)}ctx.len${")".repeat(n)};\n  if (a === 2) return XDP.DROP;`,
  };
  const helper = "function f(x: u32): u32 {\n  return x + 1;\n}\n";
  for (const [shape, body] of Object.entries(shapes)) {
    for (const n of shape === "binaryChain" || shape === "unaryChain" || shape === "blocks" ? [5000, 300] : [2000, 300]) {
      cases.push({ name: `${n} nested ${shape}`, path: `deep-${shape}-${n}.xdp.ts`, source: program(body(n), helper), expect: nestingTooDeep });
    }
    cases.push({ name: `${shape} just within the limit`, path: `deep-${shape}-within.xdp.ts`, source: program(body(shape === "ifs" ? 120 : 240), helper), expect: "object" });
  }
  cases.push({ name: "50,000 statements in one function", path: "many-statements.xdp.ts", source: program(`  let a: u32 = ctx.len;\n${"  a = a + 1;\n".repeat(50_000)}  if (a === 2) return XDP.DROP;`), expect: "object" });
  return cases;
}

export function hostileCorpus() {
  return [...deepNesting()];
}
