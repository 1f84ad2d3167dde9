// The repository's XDP programs, found once for every test that walks them.
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./paths.js";

const programsIn = (folder: string): string[] =>
  fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".xdp.ts"))
    .sort()
    .map((f) => path.join(folder, f));

/** verifier-tests/pass/NAME.xdp.ts: programs the kernel verifier must accept. */
export function passPrograms(): string[] {
  return programsIn(path.join(repoRoot, "verifier-tests", "pass"));
}

/** examples/DIR/NAME.xdp.ts (an example's lib/ folder holds helpers, not programs). */
export function examplePrograms(): string[] {
  const examples = path.join(repoRoot, "examples");
  return fs
    .readdirSync(examples)
    .sort()
    .map((d) => path.join(examples, d))
    .filter((dir) => fs.statSync(dir).isDirectory())
    .flatMap(programsIn);
}

/** NAME.cases.json beside a program, when it has one. */
export function casesFileOf(program: string): string | undefined {
  const file = program.replace(/\.xdp\.ts$/, ".cases.json");
  return fs.existsSync(file) ? file : undefined;
}
