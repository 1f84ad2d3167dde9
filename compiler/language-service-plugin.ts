// The TypeScript language-service plugin `tsxdp/ts-plugin` (loaded by tsserver through the
// CommonJS entry ts-plugin/index.js). It runs the compiler's own passes — the same
// `checkInProgram` that `tsxdp check` runs, on the language service's program and checker,
// never a second checker — and adds their TSX diagnostics to a `.xdp.ts` file's semantic
// diagnostics with the same code, span, message and hint, plus code fixes where the hint is
// mechanical (code-fixes.ts). TypeScript's own diagnostics the editor shows itself.
import ts from "#typescript";
import { checkInProgram, type PublicDiagnostic } from "./index.js";
import { codeFixesFor, fixableCodes } from "./code-fixes.js";
import { Diagnostics, makeDiagnosticAt } from "./diagnostics.js";
import { typeScriptSupport } from "./typescript-version.js";

/** tsserver's plugin contract: a factory taking `{ typescript }`, returning `{ create }`. */
export function createPlugin(modules: { typescript: typeof ts }): { create(info: ts.server.PluginCreateInfo): ts.LanguageService } {
  return {
    create: (info) =>
      decorate(info.languageService, modules.typescript.version, (text) => info.project.projectService.logger.info(`tsxdp: ${text}`)),
  };
}

const isProgramFile = (fileName: string) => fileName.endsWith(".xdp.ts");

export function decorate(service: ts.LanguageService, editorTypeScript: string, log: (text: string) => void): ts.LanguageService {
  // Node kinds and flags are numbers that change between TypeScript versions: the passes can
  // only read the editor's program when it was made by the TypeScript they were built with.
  const mismatch = editorTypeScript === ts.version ? undefined : editorTypeScript;
  if (mismatch) log(`the editor runs TypeScript ${mismatch}, tsxdp's compiler ${ts.version}: TSX checks are off`);
  const byProgram = new WeakMap<ts.Program, Map<string, PublicDiagnostic[]>>();

  const tsxDiagnostics = (fileName: string): PublicDiagnostic[] => {
    const program = service.getProgram();
    if (!program || !isProgramFile(fileName)) return [];
    let cache = byProgram.get(program);
    if (!cache) byProgram.set(program, (cache = new Map()));
    let found = cache.get(fileName);
    if (!found) {
      const file = program.getSourceFile(fileName);
      found = mismatch
        ? versionDiagnostics(file, mismatch)
        : checkInProgram(program, fileName).filter((d) => d.prefix === "TSX" && (!d.file || d.file === file));
      cache.set(fileName, found);
    }
    return found;
  };

  const proxy: ts.LanguageService = Object.create(null);
  for (const key of Object.keys(service) as (keyof ts.LanguageService)[]) {
    const member = service[key];
    (proxy as any)[key] = typeof member === "function" ? (...args: unknown[]) => (member as Function).apply(service, args) : member;
  }

  proxy.getSemanticDiagnostics = (fileName) => {
    const own = service.getSemanticDiagnostics(fileName);
    const file = service.getProgram()?.getSourceFile(fileName);
    if (!file) return own;
    return [...own, ...tsxDiagnostics(fileName).map((d) => toTypeScript(d, file))];
  };

  proxy.getSupportedCodeFixes = (fileName) => [...service.getSupportedCodeFixes(fileName), ...fixableCodes.map(String)];

  proxy.getCodeFixesAtPosition = (fileName, start, end, errorCodes, formatOptions, preferences) => {
    const checker = service.getProgram()?.getTypeChecker();
    const ours = tsxDiagnostics(fileName).filter(
      (d) => errorCodes.includes(d.code) && d.start !== undefined && d.start <= end && d.start + (d.length ?? 0) >= start,
    );
    const theirs = errorCodes.filter((code) => !ours.some((d) => d.code === code));
    return [
      ...(theirs.length ? service.getCodeFixesAtPosition(fileName, start, end, theirs, formatOptions, preferences) : []),
      ...(checker ? ours.flatMap((d) => codeFixesFor(d, checker)) : []),
    ];
  };
  return proxy;
}

/** As tsc's diagnostics, with the hint on a second line (VS Code shows it under the message). */
function toTypeScript(d: PublicDiagnostic, file: ts.SourceFile): ts.Diagnostic {
  return {
    file,
    start: d.start ?? 0,
    length: d.length ?? 0,
    messageText: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    category: d.category,
    code: d.code,
    source: "tsxdp",
  };
}

function versionDiagnostics(file: ts.SourceFile | undefined, editorTypeScript: string): PublicDiagnostic[] {
  const support = typeScriptSupport(editorTypeScript);
  return [
    makeDiagnosticAt(
      Diagnostics.EditorTypeScriptMismatch,
      file,
      0,
      0,
      editorTypeScript,
      ts.version,
      support.problem ?? "a different build",
    ),
  ];
}
