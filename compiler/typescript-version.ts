// Which TypeScript tsxdp works with, and what to say when a project uses another. The
// compiler and the editor plugin read TypeScript's syntax trees and checker, whose node kinds
// and flags change between releases, so the project, its editor and tsxdp must use one
// TypeScript; package.json declares the range as a peer dependency (test/compiler/editor-agreement.test.ts
// keeps the two equal).
import { createRequire } from "node:module";
import path from "node:path";
import ts from "#typescript";
import { Diagnostics, makeDiagnosticAt, type TsxDiagnostic } from "./diagnostics.js";

export const supportedTypeScript = { range: "~5.9.3", major: 5, minor: 9 } as const;

export function typeScriptSupport(version: string): { supported: boolean; problem?: string } {
  const [major, minor] = version.split(".").map(Number);
  if (major === supportedTypeScript.major && minor === supportedTypeScript.minor) return { supported: true };
  if (major !== undefined && major >= 7) {
    return {
      supported: false,
      problem:
        "TypeScript 7 is the native port: it has no JavaScript compiler API for tsxdp and loads no language-service plugins, so the editor and tsxdp would disagree",
    };
  }
  return { supported: false, problem: `tsxdp is built and tested with TypeScript ${supportedTypeScript.range}` };
}

/**
 * The TypeScript a project at `dir` installs (what its editor and tsc run), when it is not one
 * tsxdp supports: a warning naming both versions and what to install.
 */
export function projectTypeScriptWarning(dir: string): TsxDiagnostic | undefined {
  let version: string;
  try {
    const require = createRequire(path.join(path.resolve(dir), "package.json"));
    version = (require(require.resolve("typescript/package.json")) as { version: string }).version;
  } catch {
    return undefined; // no TypeScript in the project: tsxdp's own is the only one
  }
  const support = typeScriptSupport(version);
  if (support.supported) return undefined;
  return {
    ...makeDiagnosticAt(
      Diagnostics.UnsupportedTypeScript,
      undefined,
      undefined,
      undefined,
      version,
      supportedTypeScript.range,
      support.problem!,
      ts.version,
    ),
    category: ts.DiagnosticCategory.Warning,
  };
}
