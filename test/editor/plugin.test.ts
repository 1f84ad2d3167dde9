// tsxdp/ts-plugin beyond the newcomer's flow: the narrowing fix, what the plugin says when the
// editor's TypeScript is not tsxdp's, the CommonJS entry's import() fallback (a Node without
// require() of ES modules, as older editors embed) through a real tsserver and a linked
// package, and the TypeScript version policy (peer range, check's warning in words).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";
import { decorate } from "../../compiler/language-service-plugin.js";
import { compilerOptions } from "../../compiler/frontend.js";
import { supportedTypeScript } from "../../compiler/index.js";
import { repoRoot } from "../lib/paths.js";
import { TsServer, linkedProject } from "../lib/tsserver.js";

/** A language service over one in-memory file plus the stdlib, decorated by the plugin. */
function service(text: string, editorTypeScript = ts.version) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-plugin-"));
  const file = path.join(dir, "p.xdp.ts");
  fs.writeFileSync(file, text);
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => compilerOptions,
    getScriptFileNames: () => [path.join(repoRoot, "stdlib", "lib.xdp.d.ts"), file],
    getScriptVersion: () => "1",
    getScriptSnapshot: (name) => (fs.existsSync(name) ? ts.ScriptSnapshot.fromString(fs.readFileSync(name, "utf8")) : undefined),
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: () => "",
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
  };
  const logged: string[] = [];
  return { ls: decorate(ts.createLanguageService(host), editorTypeScript, (t) => logged.push(t)), file, logged, dir };
}

test("TSX2001 comes with the u8(…) fix", () => {
  const { ls, file, dir } = service(
    [
      `import { XdpContext, XDP, u8 } from "tsxdp";`,
      `export function p(ctx: XdpContext): XDP { const byte: u8 = ctx.len + 1; return byte === 1 ? XDP.DROP : XDP.PASS; }`,
    ].join("\n"),
  );
  try {
    const d = ls.getSemanticDiagnostics(file).find((x) => x.code === 2001 && x.source === "tsxdp");
    assert.ok(d, JSON.stringify(ls.getSemanticDiagnostics(file).map((x) => [x.code, x.messageText])));
    assert.is(
      d!.messageText,
      "Cannot convert 'u32' to 'u8' implicitly: the value may not fit.\nhint: Convert explicitly with u8(…), which truncates.",
    );
    const fixes = ls.getCodeFixesAtPosition(file, d!.start!, d!.start! + d!.length!, [2001], {}, {});
    assert.equal(
      fixes.map((f) => f.changes[0]!.textChanges.map((c) => c.newText)),
      [["u8(ctx.len + 1)"]],
    );
    assert.ok(ls.getSupportedCodeFixes(file).includes("2001"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an editor on another TypeScript gets one diagnostic in words, not wrong checks", () => {
  const { ls, file, logged, dir } = service(
    `import { XdpContext, XDP } from "tsxdp";\nexport function p(ctx: XdpContext): XDP { while (ctx.len > 0) {} return XDP.PASS; }\n`,
    "5.8.3",
  );
  try {
    const ours = ls.getSemanticDiagnostics(file).filter((d) => d.source === "tsxdp");
    assert.equal(
      ours.map((d) => d.code),
      [5006],
    );
    assert.match(
      String(ours[0]!.messageText),
      new RegExp(`it runs TypeScript 5\\.8\\.3, and tsxdp's compiler is built on TypeScript ${ts.version.replace(/\./g, "\\.")}`),
    );
    assert.match(String(ours[0]!.messageText), /Use Workspace Version/);
    assert.match(logged.join("\n"), /TSX checks are off/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the CommonJS entry falls back to import() where require() cannot load ES modules", async () => {
  const dir = linkedProject(repoRoot);
  const file = path.join(dir, "src", "app.xdp.ts");
  fs.appendFileSync(file, `export function loop(ctx: XdpContext): XDP { let n: u16 = 0; while (n < 3) n++; return XDP.PASS; }\n`);
  const server = new TsServer(path.join(dir, "node_modules", "typescript", "lib", "tsserver.js"), dir, [
    "--no-experimental-require-module",
  ]);
  try {
    server.open(file, dir);
    let shown: string[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      shown = (await server.semanticDiagnostics(file)).map((d) => `${d.source ?? "ts"}${d.code}@${d.start.line}`);
      if (shown.length) break;
    }
    const loopLine = fs.readFileSync(file, "utf8").split("\n").length - 1;
    assert.equal(
      shown,
      [`tsxdp3001@${loopLine}`],
      "the loop is reported once the plugin has loaded, and TypeScript has nothing to say about the linked package",
    );
  } finally {
    server.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test("examples/ has the init layout: tsserver gives programs the XDP configuration and scripts the Node one", async () => {
  const examples = path.join(repoRoot, "examples");
  const server = new TsServer(path.join(repoRoot, "node_modules", "typescript", "lib", "tsserver.js"), repoRoot);
  try {
    const program = path.join(examples, "firewall", "firewall.xdp.ts");
    const script = path.join(examples, "firewall", "main.ts");
    server.open(program, repoRoot);
    server.open(script, repoRoot);
    assert.is(
      (await server.request("projectInfo", { file: program, needFileNameList: false })).configFileName,
      path.join(examples, "tsconfig.xdp.json"),
    );
    assert.is(
      (await server.request("projectInfo", { file: script, needFileNameList: false })).configFileName,
      path.join(examples, "tsconfig.node.json"),
    );
    assert.equal(
      (await server.semanticDiagnostics(program)).map((d) => d.text),
      [],
      "no 'Cannot find module tsxdp' in an inferred project",
    );
  } finally {
    server.close();
  }
});

test("TypeScript's supported range is the package's peer range; check warns in words about TypeScript 7", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  assert.is(pkg.peerDependencies.typescript, supportedTypeScript.range);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-ts7-"));
  try {
    fs.mkdirSync(path.join(dir, "node_modules", "typescript"), { recursive: true });
    fs.writeFileSync(
      path.join(dir, "node_modules", "typescript", "package.json"),
      JSON.stringify({ name: "typescript", version: "7.0.1" }),
    );
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "x", private: true }));
    fs.writeFileSync(
      path.join(dir, "ok.xdp.ts"),
      `import { XdpContext, XDP } from "tsxdp";\nexport function ok(ctx: XdpContext): XDP { return XDP.PASS; }\n`,
    );
    const r = spawnSync(process.execPath, [path.join(repoRoot, "bin", "tsxdp.js"), "check", "ok.xdp.ts"], { cwd: dir, encoding: "utf8" });
    assert.is(r.status, 0, "a warning, not an error: tsxdp's own TypeScript still checks the program");
    assert.match(
      r.stderr,
      /warning TSX5007: This project installs TypeScript 7\.0\.1; tsxdp supports ~5\.9\.3: TypeScript 7 is the native port/,
    );
    assert.match(r.stderr, /npm install --save-dev typescript@5\.9\.3/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
