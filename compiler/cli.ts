// The `tsxdp` command line. Exit codes: 0 ok, 1 diagnostics (or a verifier rejection),
// 2 usage or environment error (e.g. LLVM missing), each with a one-line explanation.
import { parseArgs } from "node:util";
import fs from "node:fs";
import { compile, check, formatDiagnostic, Diagnostics, type PublicDiagnostic } from "./index.js";
import { verifyObject } from "./verify.js";

const usage = `usage:
  tsxdp build <file.xdp.ts…> [-o DIR] [--emit-llvm] [--verify] [--no-skeleton]
                                      compile to DIR/NAME.o and the typed skeleton DIR/NAME.skel.js (+ .d.ts)
  tsxdp check <file.xdp.ts…>                                     diagnostics only
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "build") return build(rest);
  if (command === "check") return checkCommand(rest);
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(usage);
    return 0;
  }
  process.stderr.write(command ? `tsxdp: unknown command '${command}'\n${usage}` : usage);
  return 2;
}

function parse(args: string[], withBuildOptions: boolean) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: withBuildOptions
      ? { out: { type: "string", short: "o" }, "emit-llvm": { type: "boolean" }, verify: { type: "boolean" }, "no-skeleton": { type: "boolean" } }
      : {},
  });
}

function missingFiles(files: string[]): string | undefined {
  if (!files.length) return "no input files";
  const missing = files.find((f) => !fs.existsSync(f));
  return missing ? `cannot read '${missing}': no such file` : undefined;
}

function printDiagnostics(diagnostics: PublicDiagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d) + "\n");
  if (diagnostics.length) process.stderr.write(`\nFound ${diagnostics.length} error${diagnostics.length === 1 ? "" : "s"}.\n`);
}

function environmentError(diagnostics: PublicDiagnostic[]): boolean {
  return diagnostics.some((d) => d.prefix === "TSX" && d.code === Diagnostics.LlvmNotFound.code);
}

async function build(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(args, true);
  } catch (error) {
    process.stderr.write(`tsxdp build: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const files = parsed.positionals;
  const problem = missingFiles(files);
  if (problem) {
    process.stderr.write(`tsxdp build: ${problem}\n${usage}`);
    return 2;
  }
  const result = await compile({ files, outDir: parsed.values.out as string | undefined, emitLlvm: parsed.values["emit-llvm"] as boolean | undefined, noSkeleton: parsed.values["no-skeleton"] as boolean | undefined });
  printDiagnostics(result.diagnostics);
  if (environmentError(result.diagnostics)) return 2;
  if (result.diagnostics.length) return 1;
  let failed = false;
  for (const o of result.objects) {
    process.stdout.write(`${o.object}: ${o.programs.length} program${o.programs.length === 1 ? "" : "s"} (${o.programs.join(", ")}), ${o.maps.length} map${o.maps.length === 1 ? "" : "s"}\n`);
    if (parsed.values.verify) {
      const outcome = verifyObject(o.object, o.programs);
      if (!outcome.ok) {
        failed = true;
        process.stderr.write(outcome.report + "\n");
      } else {
        process.stdout.write(`${o.object}: verified by the kernel (${outcome.report})\n`);
      }
    }
  }
  return failed ? 1 : 0;
}

async function checkCommand(args: string[]): Promise<number> {
  const files = parse(args, false).positionals;
  const problem = missingFiles(files);
  if (problem) {
    process.stderr.write(`tsxdp check: ${problem}\n${usage}`);
    return 2;
  }
  const result = await check({ files });
  printDiagnostics(result.diagnostics);
  return result.diagnostics.length ? 1 : 0;
}
