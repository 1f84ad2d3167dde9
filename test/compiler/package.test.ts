// `npx tsxdp` works from a project that depends on tsxdp (installed from `npm pack`), and
// the shipped tsconfig.xdp.json gives an editor the same TypeScript errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";

function sh(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 240_000 });
  return { ...r, all: `${r.stdout}\n${r.stderr}` };
}

test("a dependent project builds with npx tsxdp and type-checks with tsxdp/tsconfig.xdp.json", () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-dependent-"));
  try {
    const pack = sh("npm", ["pack", "--ignore-scripts", "--pack-destination", project], repoRoot);
    assert.is(pack.status, 0, pack.all);
    const tarball = fs.readdirSync(project).find((f) => f.endsWith(".tgz"))!;
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "dependent", version: "1.0.0", private: true }));
    const install = sh("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", `./${tarball}`], project);
    assert.is(install.status, 0, install.all);
    fs.mkdirSync(path.join(project, "src"));
    fs.writeFileSync(path.join(project, "src", "small.xdp.ts"), [
      `import { XdpContext, XDP } from "tsxdp";`,
      `export function small(ctx: XdpContext): XDP { return ctx.len < 64 ? XDP.DROP : XDP.PASS; }`,
    ].join("\n"));
    const build = sh("npx", ["--no-install", "tsxdp", "build", "src/small.xdp.ts", "-o", "out"], project);
    assert.is(build.status, 0, build.all);
    assert.ok(fs.existsSync(path.join(project, "out", "small.o")));

    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({ extends: "tsxdp/tsconfig.xdp.json", include: ["src/**/*.xdp.ts"] }));
    fs.appendFileSync(path.join(project, "src", "small.xdp.ts"), `\nimport { u8, u32 } from "tsxdp";\nexport function narrow(x: u32): u8 { return x; }\n`);
    const tsc = sh(process.execPath, [path.join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project);
    assert.is(tsc.status, 2, tsc.all);
    assert.match(tsc.stdout, /small\.xdp\.ts\(4,\d+\): error TS2322: Type 'u32' is not assignable to type 'u8'/);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test.run();
