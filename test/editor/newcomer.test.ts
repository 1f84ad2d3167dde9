// A newcomer's flow, end to end in a temporary folder: `tsxdp init app` (depending on the
// packed tarball), `npm install`, then the project's own TypeScript server (VS Code's
// "workspace version") with the tsxdp plugin loaded from node_modules: each file lands in
// its configuration, tsxdp's errors appear for a be16/constant mix, a `while` loop and a `!`
// on a view — the same codes, places, messages and hints as `tsxdp check` — code fixes
// repair two of them, fixing the loop clears the rest, and the project's `npm test` passes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";
import { TsServer, type ProtocolDiagnostic, type ProtocolTextChange, type ProtocolCodeFix } from "../lib/tsserver.js";

function sh(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 300_000 });
  return { ...r, all: `${r.stdout}\n${r.stderr}` };
}

const mistakes = [
  `import { XdpContext, XDP, EthHdr, u32 } from "tsxdp";`,
  ``,
  `export function mistakes(ctx: XdpContext): XDP {`,
  `  const eth = ctx.header<EthHdr>(0)!;`,
  `  if (eth.proto !== 0x0800) return XDP.PASS;`,
  `  let hops: u32 = 0;`,
  `  while (hops < 4) hops++;`,
  `  return hops === 4 ? XDP.DROP : XDP.PASS;`,
  `}`,
  ``,
].join("\n");

/** `tsxdp check` output as (code, line, column, message, hint). */
function parseCheckOutput(text: string) {
  const found: { code: number; line: number; column: number; message: string; hint?: string }[] = [];
  for (const line of text.split("\n")) {
    const head = /:(\d+):(\d+) - error TSX(\d+): (.*)$/.exec(line);
    if (head) found.push({ line: Number(head[1]), column: Number(head[2]), code: Number(head[3]), message: head[4]! });
    const hint = /^ {2}hint: (.*)$/.exec(line);
    if (hint && found.length) found[found.length - 1]!.hint = hint[1];
  }
  return found;
}

function applyEdits(text: string, changes: readonly ProtocolTextChange[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const at = (l: { line: number; offset: number }) => lineStarts[l.line - 1]! + l.offset - 1;
  const ordered = [...changes].sort((a, b) => at(b.start) - at(a.start));
  for (const c of ordered) text = text.slice(0, at(c.start)) + c.newText + text.slice(at(c.end));
  return text;
}

test("init → npm install → editor diagnostics and fixes agree with check → npm test passes", async () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-newcomer-"));
  let server: TsServer | undefined;
  try {
    const pack = sh("npm", ["pack", "--ignore-scripts", "--pack-destination", root], repoRoot);
    assert.is(pack.status, 0, pack.all);
    const tarball = path.join(root, fs.readdirSync(root).find((f) => f.endsWith(".tgz"))!);
    const app = path.join(root, "app");
    const init = sh(process.execPath, [path.join(repoRoot, "bin", "tsxdp.js"), "init", app, "--tsxdp", `file:${tarball}`], root);
    assert.is(init.status, 0, init.all);
    const pkg = JSON.parse(fs.readFileSync(path.join(app, "package.json"), "utf8"));
    assert.is(pkg.type, "module");
    assert.is(pkg.devDependencies.typescript, "5.9.3", "TypeScript pinned to the version tsxdp is built on");
    const install = sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], app);
    assert.is(install.status, 0, install.all);

    const program = path.join(app, "src", "app.xdp.ts");
    const script = path.join(app, "src", "main.js");
    server = new TsServer(path.join(app, "node_modules", "typescript", "lib", "tsserver.js"), app);
    server.open(program, app);
    server.open(script, app);
    const xdpProject = await server.request("projectInfo", { file: program, needFileNameList: true });
    assert.is(path.basename(xdpProject.configFileName), "tsconfig.xdp.json");
    assert.ok(!xdpProject.fileNames.some((f: string) => f.endsWith("main.js")), "the Node script is not in the XDP project");
    const nodeProject = await server.request("projectInfo", { file: script, needFileNameList: true });
    assert.is(path.basename(nodeProject.configFileName), "tsconfig.node.json");
    assert.equal(await server.semanticDiagnostics(program), [], "the generated program is clean");
    assert.equal(
      (await server.semanticDiagnostics(script)).map((d) => d.text),
      [],
      "the Node script type-checks against the skeleton npm install built",
    );

    // A file with three mistakes, saved to disk so `tsxdp check` sees the same text.
    const file = path.join(app, "src", "mistakes.xdp.ts");
    fs.writeFileSync(file, mistakes);
    server.open(file, app);
    const shown = (await server.semanticDiagnostics(file)).filter((d) => d.source === "tsxdp");
    const checked = sh("npx", ["--no-install", "tsxdp", "check", "src/mistakes.xdp.ts"], app);
    assert.is(checked.status, 1, checked.all);
    const expected = parseCheckOutput(checked.stderr);
    assert.equal(
      expected.map((d) => `TSX${d.code}@${d.line}`),
      ["TSX3009@4", "TSX2003@5", "TSX3001@7"],
      checked.stderr,
    );
    const asShown = (d: ProtocolDiagnostic) => ({
      code: d.code,
      line: d.start.line,
      column: d.start.offset,
      message: d.text.split("\nhint: ")[0],
      hint: d.text.split("\nhint: ")[1],
    });
    assert.equal(shown.map(asShown), expected, "the editor shows what tsxdp check prints");

    // Code fixes for the null check, then the byte order (diagnostics are asked again after each
    // edit, as an editor does); the loop is rewritten by hand.
    let text = mistakes;
    for (const code of [3009, 2003]) {
      const d = (await server.semanticDiagnostics(file)).find((x) => x.source === "tsxdp" && x.code === code);
      assert.ok(d, `TSX${code} is shown`);
      const fixes = await server.request<ProtocolCodeFix[]>("getCodeFixes", {
        file,
        startLine: d.start.line,
        startOffset: d.start.offset,
        endLine: d.end.line,
        endOffset: d.end.offset,
        errorCodes: [code],
      });
      assert.is(fixes.length, 1, `one fix for TSX${code}: ${JSON.stringify(fixes)}`);
      const edits = fixes[0]!.changes[0]!.textChanges;
      text = applyEdits(text, edits);
      await server.edit(file, edits);
    }
    assert.match(text, /if \(eth === null\) return XDP\.PASS;/);
    assert.match(text, /eth\.proto !== htons\(0x0800\)/, text);
    assert.match(text, /import \{ XdpContext, XDP, EthHdr, u32, htons \} from "tsxdp";/);
    const loopAt = text.split("\n").findIndex((l) => l.includes("while"));
    const loop = {
      start: { line: loopAt + 1, offset: 3 },
      end: { line: loopAt + 1, offset: 26 },
      newText: "for (let i = 0; i < 4; i++) hops++;",
    };
    text = applyEdits(text, [loop]);
    await server.edit(file, [loop]);
    assert.equal(await server.semanticDiagnostics(file), [], text);
    fs.writeFileSync(file, text);
    const clean = sh("npx", ["--no-install", "tsxdp", "check", "src/mistakes.xdp.ts"], app);
    assert.is(clean.status, 0, clean.all + text);
    fs.rmSync(file);

    const npmTest = sh("npm", ["test"], app);
    assert.is(npmTest.status, 0, npmTest.all);
    assert.match(npmTest.stdout, /# pass 1/);
  } finally {
    server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
