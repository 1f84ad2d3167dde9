// `npx tsxdp` works from a project that depends on tsxdp (installed from `npm pack`), and
// the shipped tsconfig.xdp.json gives an editor the same TypeScript errors; a skeleton built
// there is imported by a Node script of that project, loaded into the kernel and run.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../lib/paths.js";
import { requireKernel } from "../lib/kernel-env.js";

function sh(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 240_000 });
  return { ...r, all: `${r.stdout}\n${r.stderr}` };
}

test("the npm package ships what a user runs: the runtime, compiler, CLI, stdlib and addon sources, no tests or benchmarks", () => {
  const pack = sh("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], repoRoot);
  assert.is(pack.status, 0, pack.all);
  const files: string[] = JSON.parse(pack.stdout)[0].files.map((f: { path: string }) => f.path);
  assert.equal(
    files.filter((f) => /^dist\/(test|bench)\//.test(f)),
    [],
    "dist/test and dist/bench are not shipped",
  );
  for (const needed of [
    "bin/tsxdp.js",
    "dist/runtime/index.js",
    "dist/runtime/index.d.ts",
    "dist/compiler/index.js",
    "dist/cli/main.js",
    "stdlib/index.xdp.ts",
    "binding.gyp",
    "native/install.js",
    "tsconfig.xdp.json",
  ]) {
    assert.ok(files.includes(needed), `${needed} is shipped`);
  }
  assert.ok(
    files.some((f) => /^native\/src\/\w+\.c$/.test(f)),
    "the addon's C sources are shipped (npm install builds it)",
  );
});

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
    fs.writeFileSync(
      path.join(project, "src", "small.xdp.ts"),
      [
        `import { XdpContext, XDP } from "tsxdp";`,
        `export function small(ctx: XdpContext): XDP { return ctx.len < 64 ? XDP.DROP : XDP.PASS; }`,
      ].join("\n"),
    );
    const build = sh("npx", ["--no-install", "tsxdp", "build", "src/small.xdp.ts", "-o", "out"], project);
    assert.is(build.status, 0, build.all);
    assert.ok(fs.existsSync(path.join(project, "out", "small.o")));

    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ extends: "tsxdp/tsconfig.xdp.json", include: ["src/**/*.xdp.ts"] }),
    );
    fs.appendFileSync(
      path.join(project, "src", "small.xdp.ts"),
      `\nimport { u8, u32 } from "tsxdp";\nexport function narrow(x: u32): u8 { return x; }\n`,
    );
    const tsc = sh(process.execPath, [path.join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project);
    assert.is(tsc.status, 2, tsc.all);
    assert.match(tsc.stdout, /small\.xdp\.ts\(4,\d+\): error TS2322: Type 'u32' is not assignable to type 'u8'/);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test("a skeleton built in a dependent project (addon built by npm install) loads and runs from its own script", () => {
  if (!requireKernel("BPF_PROG_TEST_RUN")) return;
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-skeleton-user-"));
  try {
    // The tarball is packed from the built checkout (`prepare` already ran: npm test builds
    // first); the install runs tsxdp's own install script, which builds the native addon
    // from native/src with node-gyp against the system libbpf/libxdp — as a user gets it.
    const pack = sh("npm", ["pack", "--ignore-scripts", "--pack-destination", project], repoRoot);
    assert.is(pack.status, 0, pack.all);
    const tarball = fs.readdirSync(project).find((f) => f.endsWith(".tgz"))!;
    // Skeletons are ES modules (.skel.js with import/export): the project is "type": "module".
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "skeleton-user", version: "1.0.0", private: true, type: "module" }),
    );
    // @types/node (the version this repository pins) for the script's type check.
    const install = sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", `./${tarball}`, "@types/node@20.19.43"], project);
    assert.is(install.status, 0, install.all);
    assert.ok(
      fs.existsSync(path.join(project, "node_modules", "tsxdp", "build", "Release", "tsxdp_bpf.node")),
      `the addon was built at install:\n${install.all}`,
    );

    fs.mkdirSync(path.join(project, "src"));
    fs.writeFileSync(
      path.join(project, "src", "len-gate.xdp.ts"),
      [
        `import { XdpContext, XDP, ArrayMap, config, global, u32, u64 } from "tsxdp";`,
        `export interface Gate { min: u32; verdict: u32; }`,
        `export const gate = config<Gate>({ min: 64, verdict: XDP.DROP });`,
        `export const runs = global<u64>(0);`,
        `export const lengths = new ArrayMap<u32>({ maxEntries: 1 });`,
        `export function lenGate(ctx: XdpContext): XDP {`,
        `  runs.value += 1;`,
        `  lengths.update(0, ctx.len);`,
        `  return ctx.len < gate.min ? gate.verdict : XDP.PASS;`,
        `}`,
      ].join("\n"),
    );
    const build = sh("npx", ["--no-install", "tsxdp", "build", "src/len-gate.xdp.ts", "-o", "out"], project);
    assert.is(build.status, 0, build.all);
    for (const f of ["len-gate.o", "len-gate.skel.js", "len-gate.skel.d.ts"])
      assert.ok(fs.existsSync(path.join(project, "out", f)), `missing out/${f}`);

    const script = [
      `import { LenGate } from "./out/len-gate.skel.js";`,
      `import { XDP } from "tsxdp/runtime";`,
      `const gate: LenGate = await LenGate.open();`,
      `gate.config.gate = { min: 100, verdict: XDP.TX };`,
      `await gate.load();`,
      `const short = gate.programs.lenGate.run(new Uint8Array(80)).action;`,
      `const long = gate.programs.lenGate.run(new Uint8Array(120)).action;`,
      `console.log(JSON.stringify({ short, long, runs: String(gate.globals.runs), last: gate.maps.lengths.get(0) }));`,
      `gate.close();`,
    ].join("\n");
    fs.writeFileSync(path.join(project, "run.ts"), script);
    // The script type-checks against the skeleton and the installed package's declarations…
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          lib: ["ES2023", "ESNext.Disposable"],
          types: ["node"],
        },
        files: ["run.ts"],
      }),
    );
    const tsc = sh(process.execPath, [path.join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project);
    assert.is(tsc.status, 0, tsc.all);
    // …and runs as JavaScript (the same code without the one annotation).
    fs.writeFileSync(path.join(project, "run.js"), script.replace("const gate: LenGate =", "const gate ="));
    const run = sh(process.execPath, ["run.js"], project);
    assert.is(run.status, 0, run.all);
    assert.equal(
      JSON.parse(run.stdout.trim()),
      { short: 3, long: 2, runs: "2", last: 120 },
      "config set before load steers the verdict (XDP.TX = 3, XDP.PASS = 2)",
    );
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

test.run();
