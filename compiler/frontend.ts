// Pass 1 of the pipeline: parse and type-check the .xdp.ts world with the TypeScript
// compiler API. Programs are checked with `noLib` against stdlib/lib.xdp.d.ts, and the
// module "tsxdp" resolves to stdlib/index.xdp.ts, so the compiler sees exactly what an
// editor using tsconfig.xdp.json sees. Output: a ts.Program, its checker, and TypeScript's
// own diagnostics (reported as TSnnnn, like tsc).
import ts from "#typescript";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Diagnostics, fromTypeScript, makeDiagnostic, type TsxDiagnostic } from "./diagnostics.js";
import { maxNestingDepth, maxSwitchCases, switchTooLarge, tooDeeplyNested } from "./nesting.js";

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
  /** The roots and the user files they import (never the stdlib): what the passes check. */
  readonly userFiles: readonly ts.SourceFile[];
  readonly diagnostics: TsxDiagnostic[];
  /** A file nests deeper than the limit: nothing may walk its tree recursively. */
  readonly nestingTooDeep: boolean;
}

const stdlibByFileName = new Map<string, boolean>();

/** Also through a symlink (a linked tsxdp in a project's node_modules, as the editor sees it). */
export function isStdlibFile(file: ts.SourceFile): boolean {
  let known = stdlibByFileName.get(file.fileName);
  if (known === undefined) {
    const resolved = path.resolve(file.fileName);
    known = resolved === stdlibIndex || (path.basename(resolved) === "index.xdp.ts" && realPath(resolved) === realPath(stdlibIndex));
    stdlibByFileName.set(file.fileName, known);
  }
  return known;
}

function realPath(file: string): string {
  return ts.sys.realpath?.(file) ?? file;
}

/** Parsed and bound source files, each kept while the file on disk is unchanged (size and mtime). */
class SourceFileCache {
  private readonly parsed = new Map<string, { stamp: string; file: ts.SourceFile }>();

  /** `base`'s getSourceFile, through this cache for the files `cached` selects. */
  host(base: ts.CompilerHost, cached: (fileName: string) => boolean): ts.CompilerHost {
    return {
      ...base,
      getSourceFile: (fileName, languageVersion, onError, shouldCreateNewSourceFile) => {
        if (!cached(fileName)) return base.getSourceFile(fileName, languageVersion, onError, shouldCreateNewSourceFile);
        let stamp: string;
        try {
          const stat = fs.statSync(fileName);
          stamp = `${stat.mtimeMs}:${stat.size}`;
        } catch {
          this.parsed.delete(fileName);
          return undefined;
        }
        const known = this.parsed.get(fileName);
        if (known && known.stamp === stamp && !shouldCreateNewSourceFile) return known.file;
        const file = base.getSourceFile(fileName, languageVersion, onError, shouldCreateNewSourceFile);
        if (file) this.parsed.set(fileName, { stamp, file });
        return file;
      },
    };
  }
}

/**
 * The stdlib's files, parsed and bound once per process. TypeScript reuses a bound file in a
 * new program, as its language service does. A process started from tsxdp's startup
 * snapshot has them from the build that made the snapshot, so it parses only the user's files.
 */
const stdlibFiles = new SourceFileCache();
const stdlibPaths = new Set([stdlibIndex, stdlibLib]);

/**
 * What one process reuses between builds (watch mode): parsed and bound source files, kept
 * while the file on disk is unchanged, and the last program, whose structure TypeScript
 * reuses — so a rebuild after an edit re-parses the edited file only, never the stdlib.
 */
export class FrontendSession {
  private readonly files = new SourceFileCache();
  lastProgram: ts.Program | undefined;
  readonly host: ts.CompilerHost = this.files.host(ts.createCompilerHost(compilerOptions, true), () => true);
}

export function parseAndCheck(files: readonly string[], session?: FrontendSession): Frontend {
  const rootNames = [stdlibLib, ...files.map((f) => path.resolve(f))];
  const nesting: TsxDiagnostic[] = [];
  const host = guardedHost(
    session?.host ?? stdlibFiles.host(ts.createCompilerHost(compilerOptions, true), (f) => stdlibPaths.has(f)),
    nesting,
  );
  const program = ts.createProgram({ rootNames, options: compilerOptions, host, oldProgram: session?.lastProgram });
  if (session) session.lastProgram = program;
  const roots = files.map((f) => program.getSourceFile(path.resolve(f))).filter((f): f is ts.SourceFile => f !== undefined);
  // The stdlib is checked by its own tests; checking only user files halves a cold build.
  const userFiles = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !isStdlibFile(f));
  nesting.push(...nestingDiagnostics(userFiles));
  // TypeScript's binder and checker recurse as deep as the tree: they must not see a tree
  // over the limit, so the checker is created only after this test.
  if (nesting.length)
    return {
      program,
      get checker(): ts.TypeChecker {
        throw new Error("no checker: a file nests too deeply");
      },
      roots,
      userFiles,
      diagnostics: nesting,
      nestingTooDeep: true,
    };
  const checker = program.getTypeChecker();
  const diagnostics = [...program.getOptionsDiagnostics().map(fromTypeScript), ...typeScriptDiagnostics(program, userFiles)];
  return { program, checker, roots, userFiles, diagnostics, nestingTooDeep: false };
}

/**
 * The front end over a program made elsewhere — the editor's language service, whose program
 * holds the whole project: only `roots` and the files they import count, as in `tsxdp check
 * ROOT`. TypeScript's diagnostics come from the program's cache (the editor computed them).
 */
export function frontendOf(program: ts.Program, roots: readonly ts.SourceFile[], userFiles: readonly ts.SourceFile[]): Frontend {
  const nesting = nestingDiagnostics(userFiles);
  if (nesting.length) return { program, checker: program.getTypeChecker(), roots, userFiles, diagnostics: nesting, nestingTooDeep: true };
  return {
    program,
    checker: program.getTypeChecker(),
    roots,
    userFiles,
    diagnostics: typeScriptDiagnostics(program, userFiles),
    nestingTooDeep: false,
  };
}

function typeScriptDiagnostics(program: ts.Program, userFiles: readonly ts.SourceFile[]): TsxDiagnostic[] {
  return [
    ...program.getGlobalDiagnostics(),
    ...userFiles.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ].map(fromTypeScript);
}

/** TSX3010 for each file nested deeper than the limit, TSX3011 for a switch with too many cases. */
function nestingDiagnostics(userFiles: readonly ts.SourceFile[]): TsxDiagnostic[] {
  return userFiles.flatMap((file) => {
    const deep = tooDeeplyNested(file);
    if (deep) return [makeDiagnostic(Diagnostics.NestingTooDeep, deep.node, "This is", maxNestingDepth)];
    const large = switchTooLarge(file);
    return large ? [makeDiagnostic(Diagnostics.SwitchTooLarge, large.node, large.cases, maxSwitchCases)] : [];
  });
}

/**
 * `host`, whose parser never throws a stack overflow: TypeScript's parser recursed off the
 * stack (far deeper than the limit), so the file stands in empty, the program still forms,
 * and TSX3010 says where.
 */
function guardedHost(host: ts.CompilerHost, nesting: TsxDiagnostic[]): ts.CompilerHost {
  return {
    ...host,
    getSourceFile: (fileName, languageVersion, onError, shouldCreate) => {
      try {
        return host.getSourceFile(fileName, languageVersion, onError, shouldCreate);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        nesting.push(
          makeDiagnostic(
            Diagnostics.NestingTooDeep,
            undefined,
            `'${fileName}'${deepestBracketLine(ts.sys.readFile(fileName) ?? "")} is`,
            maxNestingDepth,
          ),
        );
        return ts.createSourceFile(fileName, "", languageVersion);
      }
    },
  };
}

/** " at line N", N where brackets first nest deeper than the limit (scanned, not parsed). */
function deepestBracketLine(text: string): string {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  let depth = 0;
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.OpenParenToken || token === ts.SyntaxKind.OpenBracketToken || token === ts.SyntaxKind.OpenBraceToken)
      depth++;
    else if (
      token === ts.SyntaxKind.CloseParenToken ||
      token === ts.SyntaxKind.CloseBracketToken ||
      token === ts.SyntaxKind.CloseBraceToken
    )
      depth--;
    if (depth > maxNestingDepth) return ` at line ${text.slice(0, scanner.getTokenStart()).split("\n").length}`;
  }
  return "";
}
