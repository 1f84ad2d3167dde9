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
    elseIfs: (n) =>
      `  let a: u32 = 0;\n  if (ctx.len === 0) a = 1;\n${"  else if (ctx.len === 1) a = 2;\n".repeat(n)}  if (a === 2) return XDP.DROP;`,
    ternaries: (n) => `  const a: u32 = ${"ctx.len > 1 ? 1 : ".repeat(n)}0;\n  if (a === 2) return XDP.DROP;`,
    binaryChain: (n) => `  const a: u32 = ctx.len${" + 1".repeat(n)};\n  if (a === 2) return XDP.DROP;`,
    unaryChain: (n) => `  const a: u32 = ${"~".repeat(n % 2 ? n + 1 : n)}ctx.len;\n  if (a === 2) return XDP.DROP;`,
    blocks: (n) => `  let a: u32 = 0;\n${"{".repeat(n)} a = 1; ${"}".repeat(n)}\n  if (a === 2) return XDP.DROP;`,
    calls: (n) => `  const a: u32 = ${"f(".repeat(n)}ctx.len${")".repeat(n)};\n  if (a === 2) return XDP.DROP;`,
  };
  const helper = "function f(x: u32): u32 {\n  return x + 1;\n}\n";
  for (const [shape, body] of Object.entries(shapes)) {
    for (const n of shape === "binaryChain" || shape === "unaryChain" || shape === "blocks" ? [5000, 300] : [2000, 300]) {
      cases.push({
        name: `${n} nested ${shape}`,
        path: `deep-${shape}-${n}.xdp.ts`,
        source: program(body(n), helper),
        expect: nestingTooDeep,
      });
    }
    cases.push({
      name: `${shape} just within the limit`,
      path: `deep-${shape}-within.xdp.ts`,
      source: program(body(shape === "ifs" ? 120 : 240), helper),
      expect: "object",
    });
  }
  const switchOf = (n) =>
    `  let a: u32 = 0;\n  switch (ctx.len) {\n${Array.from({ length: n }, (_, i) => `    case ${i}: a = ${i % 7}; break;\n`).join("")}  }\n  if (a === 2) return XDP.DROP;`;
  cases.push({ name: "a 20,000-case switch", path: "switch-20000.xdp.ts", source: program(switchOf(20_000)), expect: 3011 });
  cases.push({
    name: "a switch of 1,024 cases (the limit)",
    path: "switch-1024.xdp.ts",
    source: program(switchOf(1024)),
    expect: "object",
  });
  cases.push({
    name: "50,000 statements in one function",
    path: "many-statements.xdp.ts",
    source: program(`  let a: u32 = ctx.len;\n${"  a = a + 1;\n".repeat(50_000)}  if (a === 2) return XDP.DROP;`),
    expect: "object",
  });
  return cases;
}

/** Names the kernel, LLVM or the IR text cannot take, in every role a name has in an object. */
function hostileNames() {
  const roles = {
    program: (n) => `export function ${n}(ctx: XdpContext): XDP {\n  return XDP.PASS;\n}\n`,
    map: (n) =>
      `export const ${n} = new ArrayMap<u32>({ maxEntries: 1 });\nexport function p(ctx: XdpContext): XDP {\n  const v = ${n}.lookup(0);\n  return v !== null && v.value === 1 ? XDP.DROP : XDP.PASS;\n}\n`,
    global: (n) =>
      `export const ${n} = global<u32>(1);\nexport function p(ctx: XdpContext): XDP {\n  return ${n}.value === 2 ? XDP.DROP : XDP.PASS;\n}\n`,
    config: (n) =>
      `export const ${n} = config<u32>(1);\nexport function p(ctx: XdpContext): XDP {\n  return ${n} === 2 ? XDP.DROP : XDP.PASS;\n}\n`,
    helper: (n) =>
      `function ${n}(x: u32): u32 {\n  return x + 1;\n}\nexport function p(ctx: XdpContext): XDP {\n  return ${n}(ctx.len) === 2 ? XDP.DROP : XDP.PASS;\n}\n`,
    struct: (n) =>
      `interface ${n} { a: u32; }\nexport const m = new HashMap<${n}, u32>({ maxEntries: 4 });\nexport function p(ctx: XdpContext): XDP {\n  const k: ${n} = { a: 1 };\n  return m.lookup(k) === null ? XDP.PASS : XDP.DROP;\n}\n`,
    field: (n) =>
      `interface K { ${n}: u32; }\nexport const m = new HashMap<K, u32>({ maxEntries: 4 });\nexport function p(ctx: XdpContext): XDP {\n  const k: K = { ${n}: 1 };\n  return m.lookup(k) === null ? XDP.PASS : XDP.DROP;\n}\n`,
    parameter: (n) =>
      `function h(${n}: u32): u32 {\n  return ${n} + 1;\n}\nexport function p(ctx: XdpContext): XDP {\n  return h(ctx.len) === 2 ? XDP.DROP : XDP.PASS;\n}\n`,
  };
  const invalid = 1026,
    reserved = 1027;
  // What an object-level name (program, map, global, config) must give; helpers, structs,
  // fields and parameters take every name.
  const names = [
    ["prögram", invalid],
    ["名前", invalid],
    ["a$b", invalid],
    ["xdp", reserved],
    ["license", reserved],
    ["_license", reserved],
    ["maps", "object"],
    ["rodata", "object"],
    ["bss", "object"],
    ["text", "object"],
    ["L".repeat(301), "object"],
    ["L".repeat(512), invalid],
  ];
  const head = 'import { XdpContext, XDP, u32, ArrayMap, HashMap, global, config } from "tsxdp";\n';
  const cases = [];
  for (const [role, make] of Object.entries(roles)) {
    names.forEach(([name, objectLevel], i) => {
      const expect = ["program", "map", "global", "config"].includes(role) ? objectLevel : "object";
      cases.push({
        name: `${role} named '${name.length > 20 ? `${name[0]}×${name.length}` : name}'`,
        path: `name-${role}-${i}.xdp.ts`,
        source: head + make(name),
        expect,
      });
    });
  }
  // A name defined by two files of one object.
  cases.push({
    name: "a map and a program of one name, in two files",
    path: "twice/main.xdp.ts",
    source: `${head}import { counts } from "./maps.xdp.ts";\nexport function stats(ctx: XdpContext): XDP {\n  return counts.lookup(0) === null ? XDP.PASS : XDP.DROP;\n}\n`,
    extra: {
      "twice/maps.xdp.ts": `import { ArrayMap, u32 } from "tsxdp";\nexport const counts = new ArrayMap<u32>({ maxEntries: 1 });\nexport const stats = new ArrayMap<u32>({ maxEntries: 1 });\n`,
    },
    expect: 1028,
  });
  // File and folder names reach the IR (source_filename, !DIFile) and the skeleton's comments.
  for (const [what, folder, file] of [
    ["a quote", 'q"uote', 'a"b.xdp.ts'],
    ["a newline", "new\nline", "a\nb.xdp.ts"],
    ["U+2028", "line\u2028sep", "a\u2029b.xdp.ts"],
    ["non-ASCII and spaces", "fö ld", "prö gram.xdp.ts"],
  ]) {
    cases.push({
      name: `${what} in the file and folder name`,
      path: `${folder}/${file}`,
      source: program("  if (ctx.len === 2) return XDP.DROP;"),
      expect: "object",
    });
  }
  return cases;
}

/** Types and offsets `check` accepted and the kernel refused. */
function hostileTypes() {
  const head = 'import { XdpContext, XDP, u8, u32, FixedArray, ArrayMap, HashMap, EthHdr } from "tsxdp";\n';
  const mapOf = (decl, type) =>
    `${head}${decl}\nexport const m = new ArrayMap<${type}>({ maxEntries: 1 });\nexport function p(ctx: XdpContext): XDP {\n  return m.lookup(0) === null ? XDP.PASS : XDP.DROP;\n}\n`;
  return [
    ...[0, -1, 4294967295].map((n) => ({
      name: `FixedArray<u8, ${n}>`,
      path: `fixed-array-${n}.xdp.ts`,
      source: mapOf(`interface V { bytes: FixedArray<u8, ${n}>; }`, "V"),
      expect: 2021,
    })),
    {
      name: "a struct over the size limit",
      path: "struct-too-large.xdp.ts",
      source: mapOf("interface V { a: FixedArray<u8, 1048576>; b: FixedArray<u8, 1048576>; }", "V"),
      expect: 2023,
    },
    {
      name: "an empty interface as a map key",
      path: "empty-key.xdp.ts",
      source: `${head}interface Nothing {}\nexport const m = new HashMap<Nothing, u32>({ maxEntries: 4 });\nexport function p(ctx: XdpContext): XDP {\n  return XDP.PASS;\n}\n`,
      expect: 4004,
    },
    { name: "@align 3", path: "align-3.xdp.ts", source: mapOf("/** @align 3 */\ninterface V { a: u32; }", "V"), expect: 2022 },
    {
      name: "ctx.header<EthHdr>(ctx.len)",
      path: "header-at-len.xdp.ts",
      source: `${head}export function p(ctx: XdpContext): XDP {\n  const eth = ctx.header<EthHdr>(ctx.len);\n  return eth === null ? XDP.PASS : XDP.DROP;\n}\n`,
      expect: "object",
    },
  ];
}

export function hostileCorpus() {
  return [...deepNesting(), ...hostileNames(), ...hostileTypes()];
}
