// What a log.debug|info|warn|error(…) call is, before any lowering: recognising the call
// through the stdlib's Logger declaration, the format's placeholders, and the table of call
// sites the compiler writes into the object (".debug_tsxdp_logs") for the runtime to read.
// The subset check and the lowering both use it; docs/language.md "Logs" is the user's view.
import ts from "#typescript";
import { isStdlibFile } from "./frontend.js";

export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevelName = (typeof logLevels)[number];
export const logMapName = "tsxdp_logs";
export const logLevelVariable = "tsxdp_log_level";
export const logSection = ".debug_tsxdp_logs";
export const maxLogArguments = 8;

// The table's types are the runtime's, which reads it (a type-only import: erased).
import type { LogArgumentType, LogDisplay, LogFormat, LogTable } from "../runtime/logs.js";
export type { LogArgumentType, LogDisplay, LogFormat, LogTable };

/** The level of `log.<level>(…)` when `node` calls the stdlib's Logger, else undefined. */
export function logCallLevel(checker: ts.TypeChecker, node: ts.CallExpression): LogLevelName | undefined {
  const declaration = checker.getResolvedSignature(node)?.declaration;
  if (!declaration || !ts.isMethodSignature(declaration) || !ts.isInterfaceDeclaration(declaration.parent)) return undefined;
  if (declaration.parent.name.text !== "Logger" || !isStdlibFile(declaration.getSourceFile())) return undefined;
  const name = declaration.name.getText();
  return (logLevels as readonly string[]).includes(name) ? (name as LogLevelName) : undefined;
}

type Placeholder = { display: LogDisplay };
/** Splits a format into literal pieces and placeholders; a string is the offending text. */
export function parseLogFormat(format: string): { pieces: string[]; placeholders: Placeholder[] } | string {
  const pieces = [""];
  const placeholders: Placeholder[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if ((c === "{" || c === "}") && format[i + 1] === c) {
      pieces[pieces.length - 1] += c;
      i++;
    } else if (c === "{") {
      const end = format.indexOf("}", i);
      const spec = end < 0 ? format.slice(i) : format.slice(i, end + 1);
      const display = /^\{(?::(x|ipv4|ipv6|mac))?\}$/.exec(spec);
      if (!display) return spec;
      placeholders.push({ display: (display[1] ?? "") as LogDisplay });
      pieces.push("");
      i = end;
    } else if (c === "}") return "}";
    else pieces[pieces.length - 1] += c;
  }
  return { pieces, placeholders };
}
