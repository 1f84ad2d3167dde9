// The compiler's public API and pipeline:
//   frontend (parse + TypeScript check) → subset → call graph → lowering → LLVM → ELF.
// Each pass reports diagnostics; the pipeline stops after the first pass that reports an
// error, so later passes never see a program an earlier one rejected.
import path from "node:path";
import ts from "#typescript";
import { Diagnostics, makeDiagnostic, type TsxDiagnostic, diagnosticLine, compareDiagnostics } from "./diagnostics.js";
import { parseAndCheck, frontendOf, isStdlibFile, FrontendSession, type Frontend } from "./frontend.js";
import { checkSubset } from "./subset.js";
import { analyseCalls } from "./callgraph.js";
import { explainRuntimeGlobals } from "./runtime-globals.js";
import { lowerModule, importClosure } from "./lower/module.js";
import { findLlvm, LlvmError, LlvmPipeline, type LlvmTools } from "./llvm.js";
import type { CompiledObject } from "./object-model.js";
import { generateSkeleton } from "./skeleton.js";
import { OutputError, prepareOutputFolder, writeOutput } from "./output.js";

export { formatDiagnostic, Diagnostics } from "./diagnostics.js";
export type { TsxDiagnostic } from "./diagnostics.js";
export { verifyObject, type VerifyOutcome } from "./verify.js";
export type { CompiledObject, MapDefinition, GlobalDefinition } from "./object-model.js";
export { packageRoot, FrontendSession } from "./frontend.js";
export { skeletonClassName } from "./skeleton.js";
export { projectTypeScriptWarning, supportedTypeScript } from "./typescript-version.js";

export interface CompileOptions {
  readonly files: readonly string[];
  /** Where NAME.o goes; default: beside each source. */
  readonly outDir?: string;
  /** Also write NAME.ll. */
  readonly emitLlvm?: boolean;
  /** Do not write NAME.skel.js / NAME.skel.d.ts. */
  readonly noSkeleton?: boolean;
  /** Reuse parsed files and the last program between builds of one process (watch mode). */
  readonly session?: FrontendSession;
}

export interface CompileResult {
  readonly diagnostics: PublicDiagnostic[];
  readonly objects: CompiledObject[];
}

/** A diagnostic with its line resolved, for tests and tools. */
export interface PublicDiagnostic extends TsxDiagnostic {
  readonly line?: number;
}

const withLine = (d: TsxDiagnostic): PublicDiagnostic => ({ ...d, line: diagnosticLine(d) });
/** What `check` and `build` return: diagnostics in reading order (file, then position), lines resolved. */
const inReadingOrder = (diagnostics: readonly TsxDiagnostic[]): PublicDiagnostic[] =>
  [...diagnostics].sort(compareDiagnostics).map(withLine);

/** Subset and call-graph passes over the front end's files; stops at the first failing pass. */
function analyse(front: Frontend) {
  if (front.nestingTooDeep) return { front, diagnostics: front.diagnostics };
  const userFiles = front.userFiles;
  // The subset pass is syntactic, so it runs even after TypeScript errors: `async` then gets
  // "not supported in .xdp.ts" beside TypeScript's "cannot find Promise".
  const subset = checkSubset(userFiles, front.checker);
  if (front.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error))
    return { front, diagnostics: [...front.diagnostics, ...explainRuntimeGlobals(front.diagnostics), ...subset] };
  const calls = analyseCalls(userFiles.concat(front.program.getSourceFiles().filter(isStdlibFile)), front.checker);
  const diagnostics = [...subset, ...calls.diagnostics];
  return { front, diagnostics, calls };
}

/** Every pass up to and including the lowering, without writing anything. */
function checkFrontend(front: Frontend): PublicDiagnostic[] {
  const { diagnostics, calls } = analyse(front);
  if (diagnostics.length || !calls) return inReadingOrder(diagnostics);
  const out: TsxDiagnostic[] = [];
  for (const root of front.roots) out.push(...lowerModule(front.program, root, { invalidatesPacket: calls.invalidatesPacket }).diagnostics);
  return inReadingOrder(out);
}

/** Diagnostics only (`tsxdp check`): runs every pass up to and including the lowering. */
export async function check(options: {
  files: readonly string[];
  session?: FrontendSession;
}): Promise<{ diagnostics: PublicDiagnostic[] }> {
  return guarded(options.files, () => ({ diagnostics: checkFrontend(parseAndCheck(options.files, options.session)) }));
}

/** The user files `root` imports, directly or not, in the session's last program (what a change to them affects). */
export function dependenciesOf(session: FrontendSession, root: string): string[] {
  const program = session.lastProgram;
  const file = program?.getSourceFile(path.resolve(root));
  return program && file ? importClosure(file, program.getTypeChecker()).map((f) => path.resolve(f.fileName)) : [path.resolve(root)];
}

/**
 * `tsxdp check FILE` over a program made elsewhere (the editor's language service, which
 * holds the whole project): the same passes on FILE and the files it imports, so the editor
 * shows exactly what `check` prints. Synchronous, and like every entry it never throws.
 */
export function checkInProgram(program: ts.Program, fileName: string): PublicDiagnostic[] {
  const root = program.getSourceFile(fileName);
  if (!root) return [];
  return guardedSync([fileName], () => ({
    diagnostics: checkFrontend(frontendOf(program, [root], importClosure(root, program.getTypeChecker()))),
  })).diagnostics;
}

export async function compile(options: CompileOptions): Promise<CompileResult> {
  // LLVM starts while TypeScript checks; whatever is not used is ended.
  const tools = findLlvm();
  const pipelines = tools ? options.files.map(() => new LlvmPipeline(tools)) : [];
  try {
    return await guardedAsync(options.files, () => compileWith(options, tools, pipelines));
  } finally {
    for (const pipeline of pipelines) pipeline.cancel();
  }
}

async function compileWith(options: CompileOptions, tools: LlvmTools | undefined, pipelines: LlvmPipeline[]): Promise<CompileResult> {
  const { front, diagnostics, calls } = analyse(parseAndCheck(options.files, options.session));
  if (diagnostics.length || !calls) return { diagnostics: inReadingOrder(diagnostics), objects: [] };
  const lowered = front.roots.map((root) => ({
    root,
    ...lowerModule(front.program, root, { invalidatesPacket: calls.invalidatesPacket }),
  }));
  const loweringDiagnostics = lowered.flatMap((l) => l.diagnostics);
  if (loweringDiagnostics.length) return { diagnostics: inReadingOrder(loweringDiagnostics), objects: [] };
  if (!tools) return { diagnostics: [withLine(makeDiagnostic(Diagnostics.LlvmNotFound, undefined))], objects: [] };
  // Every output path is known, and every folder usable, before anything is written: two
  // inputs of one base name would overwrite each other's files.
  const outputs = lowered.map(({ root }) => ({
    dir: options.outDir ?? path.dirname(root.fileName),
    base: path.basename(root.fileName).replace(/\.xdp\.ts$|\.ts$/, ""),
  }));
  const clash = outputClash(
    lowered.map((l) => l.root),
    outputs,
  );
  if (clash) return { diagnostics: [clash], objects: [] };
  try {
    for (const dir of new Set(outputs.map((o) => o.dir))) prepareOutputFolder(dir);
  } catch (error) {
    if (!(error instanceof OutputError)) throw error;
    return { diagnostics: [withLine(makeDiagnostic(Diagnostics.OutputNotWritable, undefined, error.target, error.reason))], objects: [] };
  }
  const objects: CompiledObject[] = [];
  const out: TsxDiagnostic[] = [];
  for (const [i, { root, module }] of lowered.entries()) {
    if (!module) continue;
    const { dir, base } = outputs[i]!;
    const object = path.join(dir, `${base}.o`);
    let elf: Buffer;
    try {
      elf = await (pipelines[i] ?? new LlvmPipeline(tools)).compile(module.ir);
    } catch (error) {
      if (!(error instanceof LlvmError)) throw error;
      out.push({ ...makeDiagnostic(Diagnostics.LlvmFailed, root.statements[0] ?? root, error.message), start: undefined, file: root });
      continue;
    }
    try {
      if (options.emitLlvm) writeOutput(path.join(dir, `${base}.ll`), module.ir);
      writeOutput(object, elf);
      const compiled: CompiledObject = {
        source: root.fileName,
        object,
        programs: module.programs,
        maps: module.maps,
        globals: module.globals,
        logs: module.logs,
        enums: module.enums,
        ir: module.ir,
      };
      let skeleton: string | undefined;
      if (!options.noSkeleton) {
        const { js, dts } = generateSkeleton(compiled);
        skeleton = path.join(dir, `${base}.skel.js`);
        writeOutput(skeleton, js);
        writeOutput(path.join(dir, `${base}.skel.d.ts`), dts);
      }
      objects.push({ ...compiled, skeleton });
    } catch (error) {
      if (!(error instanceof OutputError)) throw error;
      out.push(makeDiagnostic(Diagnostics.OutputNotWritable, undefined, error.target, error.reason));
    }
  }
  return { diagnostics: inReadingOrder(out), objects };
}

/** Two inputs whose outputs would have one name (`a/x.xdp.ts` and `b/x.xdp.ts` into one -o folder, or `x.xdp.ts` beside `x.ts`). */
function outputClash(roots: readonly ts.SourceFile[], outputs: readonly { dir: string; base: string }[]): PublicDiagnostic | undefined {
  const first = new Map<string, number>();
  for (const [i, o] of outputs.entries()) {
    const key = path.resolve(o.dir, o.base);
    const earlier = first.get(key);
    if (earlier !== undefined)
      return withLine(
        makeDiagnostic(
          Diagnostics.OutputNameClash,
          undefined,
          roots[earlier]!.fileName,
          roots[i]!.fileName,
          path.join(o.dir, `${o.base}.o`),
        ),
      );
    first.set(key, i);
  }
  return undefined;
}

/** The compiler never crashes: anything thrown becomes an internal-error diagnostic. */
function guarded<T extends { diagnostics: PublicDiagnostic[] }>(files: readonly string[], run: () => T): Promise<T> {
  return Promise.resolve(guardedSync(files, run));
}

async function guardedAsync<T extends { diagnostics: PublicDiagnostic[] }>(files: readonly string[], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    return internalError(files, error) as unknown as T;
  }
}

function guardedSync<T extends { diagnostics: PublicDiagnostic[] }>(files: readonly string[], run: () => T): T {
  try {
    return run();
  } catch (error) {
    return internalError(files, error) as unknown as T;
  }
}

function internalError(files: readonly string[], error: unknown): { diagnostics: PublicDiagnostic[]; objects: [] } {
  const message = error instanceof Error ? `${error.message}` : String(error);
  const d = makeDiagnostic(Diagnostics.InternalError, undefined, `${message} (in ${files.join(", ")})`);
  return { diagnostics: [withLine(d)], objects: [] };
}
