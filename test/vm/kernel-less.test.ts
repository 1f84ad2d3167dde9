// Kernel-less, really: the VM suite (every cases file on the VM backend) runs as an
// unprivileged user (nobody) with the native addon refused (TSXDP_NO_NATIVE=1), from a
// world-readable copy of the compiled runtime (a checkout under a 0700 home is unreadable
// to nobody). The kernel backend then says in words why it cannot work. And npm install
// succeeds when the addon cannot be built.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { BpfObject } from "../../runtime/index.js";
import { NO_NATIVE_ENV } from "../../runtime/native.js";
import { casesFiles } from "../lib/cases.js";
import { repoRoot } from "../lib/paths.js";

const dist = path.join(repoRoot, "dist");

/** The child: every (object, cases) pair on the VM, then the kernel backend's refusal. */
const child = `
import fs from "node:fs";
const [root, listFile] = process.argv.slice(2);
const { runCases, readCases } = await import(root + "/dist/test/lib/cases.js");
const { BpfObject } = await import(root + "/dist/runtime/index.js");
const pairs = JSON.parse(fs.readFileSync(listFile, "utf8"));
const out = { uid: process.getuid(), files: 0, cases: 0, failures: [], refusal: null, nativeLoaded: false };
for (const { object, cases } of pairs) {
  const file = readCases(cases);
  out.files++;
  out.cases += file.cases.length;
  out.failures.push(...(await runCases(object, file, { backend: "vm" })).map((f) => cases + ": " + f));
}
out.nativeLoaded = Object.keys((await import("node:module")).createRequire(import.meta.url).cache).some((f) => f.endsWith(".node"));
try {
  await BpfObject.open(pairs[0].object);
} catch (error) {
  out.refusal = { code: error.code, message: error.message };
}
console.log(JSON.stringify(out));
`;

test("the VM suite runs as nobody without the native addon; the kernel backend refuses in words", async () => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error("the kernel-less test switches to the user nobody: it must run as root");
    console.warn("skipping the kernel-less test: it needs root to switch to the user nobody");
    return;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-kernel-less-"));
  try {
    // What the child imports: the compiled runtime and test helpers, and elfy.
    for (const part of ["runtime", "test/lib"]) fs.cpSync(path.join(dist, part), path.join(root, "dist", part), { recursive: true });
    copyPackage("elfy", root);
    fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ type: "module" }));
    const pairs: { object: string; cases: string }[] = [];
    for (const cases of casesFiles()) {
      const source = cases.replace(/\.cases\.json$/, ".xdp.ts");
      const outDir = path.join(root, "objects", path.basename(path.dirname(source)));
      const result = await compile({ files: [source], outDir, noSkeleton: true });
      assert.equal(
        result.diagnostics.map((d) => formatDiagnostic(d)),
        [],
      );
      const copied = path.join(outDir, path.basename(cases));
      fs.copyFileSync(cases, copied);
      pairs.push({ object: result.objects[0]!.object, cases: copied });
    }
    fs.writeFileSync(path.join(root, "pairs.json"), JSON.stringify(pairs));
    fs.writeFileSync(path.join(root, "child.mjs"), child);
    spawnSync("chmod", ["-R", "a+rX", root]);
    fs.chmodSync(root, 0o755);
    const run = spawnSync(
      "setpriv",
      [
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--inh-caps=-all",
        process.execPath,
        path.join(root, "child.mjs"),
        root,
        path.join(root, "pairs.json"),
      ],
      {
        encoding: "utf8",
        cwd: root,
        env: { PATH: process.env.PATH, HOME: root, [NO_NATIVE_ENV]: "1" },
        timeout: 300_000,
      },
    );
    assert.is(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(run.stdout.trim().split("\n").pop()!) as {
      uid: number;
      files: number;
      cases: number;
      failures: string[];
      refusal: { code: string; message: string } | null;
      nativeLoaded: boolean;
    };
    assert.ok(summary.uid !== 0, "the child ran unprivileged");
    assert.is(summary.files, pairs.length);
    assert.ok(summary.cases > 100, `${summary.cases} cases ran`);
    assert.equal(summary.failures, []);
    assert.is(summary.nativeLoaded, false, "no .node file was loaded");
    assert.is(summary.refusal?.code, "ENOADDON");
    assert.match(
      summary.refusal!.message,
      /native addon is disabled \(TSXDP_NO_NATIVE=1\), so the kernel backend cannot load, attach or test-run programs; the VM backend works without it/,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("with the addon refused, BpfObject.open on the kernel backend says why and what works instead", async () => {
  const saved = process.env[NO_NATIVE_ENV];
  const run = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `
    const { BpfObject } = await import(${JSON.stringify(path.join(dist, "runtime/index.js"))});
    try { await BpfObject.open(new Uint8Array([1, 2, 3])); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
  `,
    ],
    { encoding: "utf8", env: { ...process.env, [NO_NATIVE_ENV]: "1" } },
  );
  void saved;
  const result = JSON.parse(run.stdout.trim()) as { code: string; message: string };
  assert.is(result.code, "ENOADDON");
  assert.match(result.message, 'BpfObject.open(file, { backend: "vm" })');
});

test("npm install's addon step warns and succeeds when the addon cannot be built", () => {
  // A node-gyp that fails (as without a C toolchain): the step must exit 0 with a warning.
  const fake = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-gyp-")), "node-gyp.js");
  fs.writeFileSync(fake, "process.exit(1);\n");
  const run = spawnSync(process.execPath, [path.join(repoRoot, "native", "install.js")], {
    encoding: "utf8",
    cwd: fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-install-")),
    env: { ...process.env, npm_config_node_gyp: fake },
  });
  assert.is(run.status, 0, run.stderr);
  assert.match(
    run.stderr,
    /building the native addon failed \(node-gyp exit 1; is a C compiler installed\? apt-get install build-essential\)\. tsxdp installs without its native addon: building programs and running them on the VM backend/,
  );
});

test("importing the runtime and using the VM loads no native addon", async () => {
  const run = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `
    import { createRequire } from "node:module";
    const { BpfObject } = await import(${JSON.stringify(path.join(dist, "runtime/index.js"))});
    const object = process.argv[1];
    const obj = await (await BpfObject.open(object, { backend: "vm" })).load();
    const r = obj.program(Object.keys(obj.programs)[0]).run(new Uint8Array(60));
    console.log(JSON.stringify({ action: r.action, addons: Object.keys(createRequire(import.meta.url).cache).filter((f) => f.endsWith(".node")) }));
  `,
      await firstObject(),
    ],
    { encoding: "utf8", env: { ...process.env, [NO_NATIVE_ENV]: "1" } },
  );
  assert.is(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim()) as { action: number; addons: string[] };
  assert.equal(result.addons, []);
  assert.ok(result.action >= 0 && result.action <= 4);
});

/** A package of node_modules and its dependencies, into root/node_modules. */
function copyPackage(name: string, root: string): void {
  const target = path.join(root, "node_modules", name);
  if (fs.existsSync(target)) return;
  const from = path.join(repoRoot, "node_modules", name);
  fs.cpSync(from, target, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(from, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {})) copyPackage(dependency, root);
}

async function firstObject(): Promise<string> {
  const source = path.join(repoRoot, "verifier-tests", "pass", "helpers.xdp.ts");
  const result = await compile({ files: [source], outDir: fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-vm-import-")), noSkeleton: true });
  return result.objects[0]!.object;
}

void BpfObject;
test.run();
