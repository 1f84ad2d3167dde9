// Shared state of the lowering pass (AST → LLVM IR): the module being built, and for each
// function the builder, its local variables, loop targets and the packet "epoch" used to
// detect views made stale by adjustHead/adjustTail/adjustMeta.
import ts from "typescript";
import { Diagnostics, makeDiagnostic, type DiagnosticTemplate, type TsxDiagnostic } from "../diagnostics.js";
import type { FunctionBuilder, Block } from "../ir/function.js";
import type { ModuleBuilder } from "../ir/module.js";
import type { DebugInfo } from "../ir/debug.js";
import type { Layouts } from "../layout.js";
import type { Ty } from "../types.js";
import type { MapDefinition } from "./maps.js";
import type { GlobalDefinition } from "./globals.js";

/** A lowered expression: its type and the IR operand that holds it. */
export interface Value {
  readonly ty: Ty;
  readonly ir: string;
  /** Known at compile time (always set for `const` values). */
  readonly constant?: bigint;
  /** For views: the packet epoch they were taken in (undefined: not a packet view). */
  readonly epoch?: number;
}

export const constValue = (value: bigint): Value => ({ ty: { kind: "const" }, ir: value.toString(), constant: value });

export type Local =
  | { readonly kind: "slot"; readonly ptr: string; readonly ty: Ty; epoch?: number; readonly name: string }
  | { readonly kind: "constant"; readonly value: Value };

export interface LoopTargets {
  readonly breakBlock: Block;
  readonly continueBlock: Block;
}

export interface Invalidation {
  readonly what: string;
  readonly line: number;
}

export class Reporter {
  readonly diagnostics: TsxDiagnostic[] = [];
  error(template: DiagnosticTemplate, node: ts.Node | undefined, ...args: (string | number)[]): void {
    this.diagnostics.push(makeDiagnostic(template, node, ...args));
  }
}

export interface ModuleState {
  readonly checker: ts.TypeChecker;
  readonly layouts: Layouts;
  readonly module: ModuleBuilder;
  readonly debug: DebugInfo;
  readonly reporter: Reporter;
  readonly maps: Map<ts.Symbol, MapDefinition>;
  readonly globals: Map<ts.Symbol, GlobalDefinition>;
  /** Functions whose body (transitively) calls adjustHead/adjustTail/adjustMeta. */
  readonly invalidatesPacket: Set<ts.FunctionDeclaration>;
  /** LLVM name of a helper function, emitting it on first use. */
  helperFunction(decl: ts.FunctionDeclaration): string;
  /** The value of a module-level constant (const / const enum member), if it is one. */
  moduleConstant(symbol: ts.Symbol): Value | undefined;
}

export class FunctionState {
  readonly locals = new Map<ts.Symbol, Local>();
  readonly loops: LoopTargets[] = [];
  /** Bumped by every call that moves packet data; views from an older epoch are stale. */
  epoch = 0;
  readonly invalidations: Invalidation[] = [];
  /** Loop counters with the range the loop guarantees, for FixedArray index proofs. */
  readonly counterRanges = new Map<ts.Symbol, { min: bigint; max: bigint }>();
  stackBytes = 0;

  constructor(
    readonly mod: ModuleState,
    readonly fb: FunctionBuilder,
    readonly declaration: ts.FunctionDeclaration,
    readonly returnTy: Ty,
    /** The XdpContext pointer when the function has one. */
    public ctx: string | undefined,
  ) {}

  get checker(): ts.TypeChecker {
    return this.mod.checker;
  }

  error(template: DiagnosticTemplate, node: ts.Node | undefined, ...args: (string | number)[]): void {
    this.mod.reporter.error(template, node, ...args);
  }

  /** Moves the debug location to `node`'s start. */
  at(node: ts.Node): void {
    const file = node.getSourceFile();
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
    this.fb.at(line + 1, character + 1);
  }

  symbolOf(node: ts.Node): ts.Symbol | undefined {
    const s = node.parent && ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
      ? this.checker.getShorthandAssignmentValueSymbol(node.parent)
      : this.checker.getSymbolAtLocation(node);
    if (s && s.flags & ts.SymbolFlags.Alias) return this.checker.getAliasedSymbol(s);
    return s;
  }

  invalidatePacket(what: string, node: ts.Node): void {
    this.epoch++;
    const file = node.getSourceFile();
    this.invalidations[this.epoch] = { what, line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1 };
  }

  /** Reports a use of a view from an earlier packet epoch. */
  checkFresh(value: Value, name: string, node: ts.Node): void {
    if (value.epoch === undefined || value.epoch >= this.epoch) return;
    const cause = this.invalidations[value.epoch + 1] ?? this.invalidations[this.epoch]!;
    this.error(Diagnostics.StaleView, node, name, cause.what, cause.line);
  }
}
