// The lowering pass for one .xdp.ts file: finds its XDP programs (exported
// `(ctx: XdpContext): XDP` functions), the maps of every user file it includes, and emits
// one LLVM module: programs in section "xdp", helpers as internal always-inline functions,
// maps in ".maps", the license, and the debug info BTF is made from.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { isStdlibFile } from "../frontend.js";
import { ModuleBuilder, irString } from "../ir/module.js";
import { FunctionBuilder } from "../ir/function.js";
import { DebugInfo } from "../ir/debug.js";
import { Layouts } from "../layout.js";
import { type Ty, Int, intName, intTy, llType } from "../types.js";
import { type CompiledObject, type MapDefinition, type GlobalDefinition, exportedConstEnums, isProgram } from "../object-model.js";
import { FunctionState, Reporter, type ModuleState, type Value } from "./context.js";
import { emitMap, readMapDeclaration } from "./map-declarations.js";
import { emitGlobal, readGlobalDeclaration } from "./globals.js";
import { fits, typedConst } from "./integers.js";
import { evaluateConstantExpression } from "./constants.js";
import { lowerExpression } from "./expressions/index.js";
import { lowerStatement } from "./statements/index.js";
import { checkObjectNames, helperSymbolBase } from "./object-names.js";
import { LogSites } from "./logs.js";
import { declaredTy, tyOf } from "./typing.js";

/** The lowering's part of a compiled object: the IR and what it defines. */
export type LoweredModule = Pick<CompiledObject, "ir" | "programs" | "maps" | "globals" | "logs" | "enums">;

export interface LowerOptions {
  readonly license?: string;
  /** Functions that call adjustHead/adjustTail/adjustMeta, directly or through helpers. */
  readonly invalidatesPacket: Set<ts.FunctionDeclaration>;
}

export function lowerModule(
  program: ts.Program,
  root: ts.SourceFile,
  options: LowerOptions,
): { module?: LoweredModule; diagnostics: Reporter["diagnostics"] } {
  const checker = program.getTypeChecker();
  const reporter = new Reporter();
  const m = new ModuleBuilder();
  const debug = new DebugInfo(m, root.fileName);
  const layouts = new Layouts(checker, (d) => reporter.diagnostics.push(d));
  const maps = new Map<ts.Symbol, MapDefinition>();
  const globals = new Map<ts.Symbol, GlobalDefinition>();
  const helpers = new Map<ts.FunctionDeclaration, Map<string, string>>();
  const pending: { decl: ts.FunctionDeclaration; program: string; name: string }[] = [];
  let helperCount = 0;
  const logs = new LogSites();
  const constants = new Map<ts.Symbol, Value | null>();
  // Scalar passthrough ids start above the one id every packet view shares (packet.ts).
  let passthroughSeq = 2000;

  const state: ModuleState = {
    checker,
    layouts,
    module: m,
    debug,
    reporter,
    maps,
    globals,
    poisoned: new Set(),
    logs,
    lowering: { expression: lowerExpression, statement: lowerStatement },
    invalidatesPacket: options.invalidatesPacket,
    helperFunction(decl, program) {
      const instances = helpers.get(decl) ?? new Map<string, string>();
      helpers.set(decl, instances);
      let name = instances.get(program);
      if (!name) {
        name = `@${helperSymbolBase(decl.name?.text ?? "helper")}.${helperCount++}`;
        instances.set(program, name);
        pending.push({ decl, program, name });
      }
      return name;
    },
    moduleConstant(symbol) {
      if (constants.has(symbol)) return constants.get(symbol) ?? undefined;
      constants.set(symbol, null); // a constant defined through itself ends here
      const value = evaluateModuleConstant(state, symbol);
      constants.set(symbol, value ?? null);
      return value;
    },
    nextPassthroughSeq: () => passthroughSeq++,
  };

  // Maps and globals of the root and of every user file it imports (transitively).
  for (const file of importClosure(root, checker)) {
    for (const statement of file.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const decl of statement.declarationList.declarations) {
        const symbol = checker.getSymbolAtLocation(decl.name);
        const evalConstant = (e: ts.Expression) => evaluateConstantExpression(state, e)?.constant;
        if (!symbol || !decl.initializer) continue;
        if (ts.isNewExpression(decl.initializer)) {
          const reported = reporter.diagnostics.length;
          const map = readMapDeclaration(state, decl, evalConstant);
          if (map) maps.set(symbol, map);
          else if (reporter.diagnostics.length > reported) state.poisoned.add(symbol);
        } else if (ts.isCallExpression(decl.initializer)) {
          const g = readGlobalDeclaration(state, decl, evalConstant);
          if (g) globals.set(symbol, g);
        }
      }
    }
  }
  const programDecls = root.statements.filter((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && isProgram(s, checker));
  checkObjectNames(reporter, [
    ...programDecls.map((d) => ({ name: d.name!.text, what: "program", node: d.name! })),
    ...[...maps.values()].map((map) => ({ name: map.name, what: "map", node: map.declaration.name })),
    ...[...globals.values()].map((g) => ({ name: g.name, what: g.kind, node: g.declaration.name })),
  ]);
  for (const map of maps.values()) emitMap(state, map);
  for (const g of globals.values()) emitGlobal(state, g);

  const programs: string[] = [];
  for (const statement of programDecls) {
    programs.push(statement.name!.text);
    emitFunction(state, statement, statement.name!.text);
  }
  if (programs.length === 0) reporter.error(Diagnostics.NoPrograms, root.statements[0] ?? root);
  for (let i = 0; i < pending.length; i++) emitFunction(state, pending[i]!.decl, pending[i]!.program, pending[i]!.name);
  logs.emit(state, root.fileName);

  const license = options.license ?? "GPL";
  const licenseBytes = Buffer.byteLength(license) + 1;
  const licenseDebug = debug.globalVariable("_license", debug.array(debug.basic("char", 8, true), 8, licenseBytes), root.fileName, 1);
  m.addGlobal(
    `@_license = dso_local global [${licenseBytes} x i8] c${irString(license + "\0")}, section "license", align 1, !dbg ${licenseDebug}`,
    "@_license",
    true,
  );
  debug.finish();

  const ir = m.toString([
    `; generated by tsxdp from ${irString(root.fileName)}`,
    `source_filename = ${irString(root.fileName)}`,
    `target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"`,
    `target triple = "bpf"`,
  ]);
  return {
    module: {
      ir,
      programs,
      maps: [...maps.values()],
      globals: [...globals.values()],
      logs: logs.isEmpty ? undefined : logs.table(),
      enums: exportedConstEnums(root, checker),
    },
    diagnostics: reporter.diagnostics,
  };
}

/** Emits a program (no `llName`) or the instance `llName` of a helper called from `program`. */
function emitFunction(state: ModuleState, decl: ts.FunctionDeclaration, program: string, llName?: string): void {
  const isProgramEntry = llName === undefined;
  const { checker, debug, module: m } = state;
  const file = decl.getSourceFile();
  const line = file.getLineAndCharacterOfPosition(decl.getStart()).line + 1;
  const name = isProgramEntry ? decl.name!.text : helperSymbolBase(decl.name?.text ?? "helper");
  const params = decl.parameters.map((p) => ({
    decl: p,
    name: p.name.getText(),
    ty: isProgramEntry ? ({ kind: "ctx" } as Ty) : declaredTy(state, p),
  }));
  const signature = checker.getSignatureFromDeclaration(decl);
  const returnTy: Ty = isProgramEntry
    ? intTy(Int.u32)
    : signature
      ? tyOf(state, signature.getReturnType(), decl.type ?? decl)
      : { kind: "void" };

  const diParam = (ty: Ty) =>
    ty.kind === "ctx"
      ? debug.xdpMdPointer()
      : ty.kind === "int"
        ? debug.int(ty.int)
        : ty.kind === "bool"
          ? debug.basic("_Bool", 8, false)
          : debug.pointer(debug.basic("void", 8, false));
  const sp = debug.subprogram(
    name,
    file.fileName,
    line,
    returnTy.kind === "void" ? null : isProgramEntry ? debug.basic("int", 32, true) : diParam(returnTy),
    params.map((p) => ({ name: p.name, type: diParam(p.ty) })),
    !isProgramEntry,
  );
  const fb = new FunctionBuilder(m, sp.scope);
  const ctxParam = params.find((p) => p.ty.kind === "ctx");
  const fs = new FunctionState(state, fb, decl, returnTy, ctxParam ? `%${sanitize(ctxParam.name)}` : undefined, program);
  fb.at(line, 1);
  m.declare("declare void @llvm.dbg.value(metadata, metadata, metadata) #2");
  params.forEach((p, i) => {
    const symbol = checker.getSymbolAtLocation(p.decl.name);
    const arg = `%${sanitize(p.name)}`;
    fb.inst(`call void @llvm.dbg.value(metadata ${llType(p.ty)} ${arg}, metadata ${sp.params[i]}, metadata !DIExpression())`);
    if (!symbol) return;
    if (p.ty.kind === "ctx") {
      fs.locals.set(symbol, { kind: "constant", value: { ty: p.ty, ir: arg } });
      return;
    }
    const slot = fb.alloca(llType(p.ty), 8);
    fb.inst(`store ${llType(p.ty)} ${arg}, ptr ${slot}`);
    fs.locals.set(symbol, { kind: "slot", ptr: slot, ty: p.ty, epoch: p.ty.kind === "view" ? 0 : undefined, name: p.name });
  });
  try {
    fs.lowerStatements(decl.body!.statements);
  } catch (error) {
    state.reporter.error(Diagnostics.InternalError, decl, error instanceof Error ? error.message : String(error));
    if (process.env.TSXDP_DEBUG) console.error(error);
  }
  if (!fb.terminated) {
    if (returnTy.kind === "void") fb.ret("void");
    else fb.unreachable();
  }
  fs.placeViewBarriers();
  if (fs.stackBytes > 512) state.reporter.error(Diagnostics.StackTooLarge, decl.name ?? decl, name, fs.stackBytes);
  // The context is only read (data, data_end, …) or handed to helpers; packet bytes and maps
  // are never reached through it, so `noalias` lets LLVM keep data/data_end in registers
  // across packet stores, as C does by loading them once.
  const paramList = params.map((p) => `${llType(p.ty)}${p.ty.kind === "ctx" ? " noalias" : ""} %${sanitize(p.name)}`).join(", ");
  if (isProgramEntry) {
    m.addFunction(fb.toString(`dso_local i32 @${name}(${paramList})`, `#0 section "xdp" !dbg ${sp.scope}`));
  } else {
    m.addFunction(fb.toString(`internal ${llType(returnTy)} ${llName}(${paramList})`, `#1 !dbg ${sp.scope}`));
  }
}

/** `root` and the user files it imports, directly or not (the stdlib excluded). */
export function importClosure(root: ts.SourceFile, checker: ts.TypeChecker): ts.SourceFile[] {
  const seen = new Set<ts.SourceFile>([root]);
  const queue = [root];
  while (queue.length) {
    const file = queue.shift()!;
    for (const statement of file.statements) {
      if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) || !statement.moduleSpecifier) continue;
      const target = checker.getSymbolAtLocation(statement.moduleSpecifier)?.valueDeclaration;
      if (target && ts.isSourceFile(target) && !seen.has(target) && !target.isDeclarationFile && !isStdlibFile(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen];
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** Module-level `const X = <constant>` (any user file or the stdlib). */
function evaluateModuleConstant(state: ModuleState, symbol: ts.Symbol): Value | undefined {
  const decl = symbol.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer) return undefined;
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const) || !ts.isSourceFile(list.parent.parent)) return undefined;
  const value = evaluateConstantExpression(state, decl.initializer);
  if (!value || !decl.type) return value;
  const ty = declaredTy(state, decl);
  if (ty.kind !== "int") return value;
  if (value.ty.kind !== "const") return value;
  // `const A: u8 = 300` is an error where it is written, as the same line in a function is.
  if (!fits(value.constant!, ty.int))
    state.reporter.error(
      ty.int.be ? Diagnostics.ByteOrderMix : Diagnostics.ConstantOutOfRange,
      decl.initializer,
      ...(ty.int.be ? [intName(ty.int), "an integer constant"] : [value.constant!.toString(), intName(ty.int)]),
    );
  return typedConst(value.constant!, ty.int);
}
