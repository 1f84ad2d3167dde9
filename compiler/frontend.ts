// Pass 1 of the pipeline: parse and type-check the .xdp.ts world with the TypeScript
// compiler API. Programs are checked with `noLib` against stdlib/lib.xdp.d.ts, and the
// module "tsxdp" resolves to stdlib/index.xdp.ts, so the compiler sees exactly what an
// editor using tsconfig.xdp.json sees. Output: a ts.Program, its checker, and TypeScript's
// own diagnostics (reported as TSnnnn, like tsc).
import ts from "typescript";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fromTypeScript, type TsxDiagnostic } from "./diagnostics.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository (or installed package) root: compiler/ sits below it, or dist/compiler/. */
export const packageRoot = findPackageRoot(here);
export const stdlibDir = path.join(packageRoot, "stdlib");
export const stdlibIndex = path.join(stdlibDir, "index.xdp.ts");
const stdlibLib = path.join(stdlibDir, "lib.xdp.d.ts");

function findPackageRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (ts.sys.fileExists(path.join(dir, "stdlib", "index.xdp.ts"))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(start, "..");
}

export const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  noLib: true,
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  types: [],
  paths: { tsxdp: [stdlibIndex] },
};

export interface Frontend {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  /** The user's files, in the order given. */
  readonly roots: readonly ts.SourceFile[];
  readonly diagnostics: TsxDiagnostic[];
}

export function isStdlibFile(file: ts.SourceFile): boolean {
  return path.resolve(file.fileName) === stdlibIndex;
}

export function parseAndCheck(files: readonly string[]): Frontend {
  const rootNames = [stdlibLib, ...files.map((f) => path.resolve(f))];
  const host = ts.createCompilerHost(compilerOptions, true);
  const program = ts.createProgram({ rootNames, options: compilerOptions, host });
  const checker = program.getTypeChecker();
  const roots = files.map((f) => program.getSourceFile(path.resolve(f))).filter((f): f is ts.SourceFile => f !== undefined);
  // The stdlib is checked by its own tests; checking only user files halves a cold build.
  const userFiles = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !isStdlibFile(f));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...userFiles.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ].map(fromTypeScript);
  return { program, checker, roots, diagnostics };
}
