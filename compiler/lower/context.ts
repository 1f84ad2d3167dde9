// Shared state of the lowering pass (AST → LLVM IR): the module being built, and for each
// function the builder, its local variables, loop targets and the packet "epoch" used to
// detect views made stale by adjustHead/adjustTail/adjustMeta.
import ts from "#typescript";
import { Diagnostics, makeDiagnostic, type DiagnosticTemplate, type TsxDiagnostic } from "../diagnostics.js";
import type { FunctionBuilder, Block } from "../ir/function.js";
import type { ModuleBuilder } from "../ir/module.js";
import type { DebugInfo } from "../ir/debug.js";
import type { Layouts } from "../layout.js";
import type { Ty } from "../types.js";
import type { MemoryRegion } from "../ir/alias.js";
import type { MapDefinition, GlobalDefinition } from "../object-model.js";
import type { LogSites } from "./logs.js";

/** A lowered expression: its type and the IR operand that holds it. */
export interface Value {
  readonly ty: Ty;
  readonly ir: string;
  /** Known at compile time (always set for `const` values). */
  readonly constant?: bigint;
  /** For views: the packet epoch they were taken in (undefined: not a packet view). */
  readonly epoch?: number;
  /** For packet views: which ctx.header() call made it (see FunctionState.uncheckedViews). */
  readonly viewId?: number;
  /** Stands in for something already reported as an error: its uses report nothing more. */
  readonly poisoned?: true;
  /**
   * For unsigned integers: an upper bound the compiler knows (bit fields, narrow loads,
   * arithmetic on them that cannot wrap). Packet offsets below 64 KiB need no range check.
   */
  readonly max?: bigint;
  /** For views of a config struct: its name (programs may not write into .rodata). */
  readonly readonlyConfig?: string;
  /**
   * For a nullable view: the pointer it holds whenever it is not null (never null itself;
   * poison on the null path). See Local.nonNull.
   */
  readonly nonNull?: string;
  /**
   * For views: the alignment its pointer is taken to have (default: its layout's), C's
   * reading of a struct pointer. Fields and elements inherit what their offset keeps.
   */
  readonly align?: number;
  /** For views and refs: the packet or a map value, when known (see ir/alias.ts). */
  readonly region?: MemoryRegion;
}

/** The alignment a view's pointer is taken to have. */
export function viewAlign(v: Value): number {
  if (v.align !== undefined) return v.align;
  if (v.ty.kind === "view") return v.ty.layout.align;
  if (v.ty.kind === "ref") return v.ty.int.bits / 8;
  return 1;
}

/** The alignment of `base + offset` for a base of alignment `align`. */
export function alignAt(align: number, offset: number): number {
  if (offset === 0) return align;
  return Math.min(align, offset & -offset);
}

export const poisonedValue: Value = { ty: { kind: "const" }, ir: "0", constant: 0n, poisoned: true };

export const constValue = (value: bigint): Value => ({ ty: { kind: "const" }, ir: value.toString(), constant: value });

export type Local =
  | {
      readonly kind: "slot";
      readonly ptr: string;
      readonly ty: Ty;
      epoch?: number;
      viewId?: number;
      readonly name: string;
      /**
       * A nullable view's second slot: the same view's pointer without the null. A use that
       * TypeScript has narrowed to non-null reads this one, so the loads and stores through
       * the view address the bounds-checked `data + offset` register itself, never
       * `select(out of bounds, null, data + offset)`: the verifier can only follow a packet
       * pointer's checked range through the register the comparison was made on, and LLVM
       * would otherwise keep the select plus a null test (C has neither).
       */
      readonly nonNull?: string;
      /** A `const` unsigned integer's known upper bound (Value.max). */
      readonly max?: bigint;
      /** A `const` view's alignment when it is more than its layout's (a stack struct). */
      readonly align?: number;
      /** A `const` view's memory region (a `let` may be assigned views of both kinds). */
      readonly region?: MemoryRegion;
    }
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
  private readonly seen = new Set<string>();
  /** Reports once per (code, place): a helper's parameter type is read at every call. */
  error(template: DiagnosticTemplate, node: ts.Node | undefined, ...args: (string | number)[]): void {
    const d = makeDiagnostic(template, node, ...args);
    const key = `${d.code}:${d.file?.fileName}:${d.start}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  }
}

/**
 * The expression and statement visitor tables, injected by the module lowering (module.ts):
 * visitor files reach them through FunctionState and so import nothing above them.
 */
export interface Lowering {
  expression(fs: FunctionState, node: ts.Expression, expected?: Ty): Value;
  statement(fs: FunctionState, node: ts.Statement): void;
}

export interface ModuleState {
  readonly checker: ts.TypeChecker;
  readonly layouts: Layouts;
  readonly module: ModuleBuilder;
  readonly debug: DebugInfo;
  readonly reporter: Reporter;
  readonly lowering: Lowering;
  readonly maps: Map<ts.Symbol, MapDefinition>;
  readonly globals: Map<ts.Symbol, GlobalDefinition>;
  /** Declarations already reported as errors (a map with bad options): uses stay quiet. */
  readonly poisoned: Set<ts.Symbol>;
  /** Functions whose body (transitively) calls adjustHead/adjustTail/adjustMeta. */
  readonly invalidatesPacket: Set<ts.FunctionDeclaration>;
  /** log.* call sites, which the module emits (with the log ring) only when there are some. */
  readonly logs: LogSites;
  /**
   * LLVM name of a helper function as called from `program`, emitting it on first use. Each
   * program gets its own instance (they are always inlined, so the object is the same), so a
   * log call inside a helper knows which program made it.
   */
  helperFunction(decl: ts.FunctionDeclaration, program: string): string;
  /** The value of a module-level constant (const / const enum member), if it is one. */
  moduleConstant(symbol: ts.Symbol): Value | undefined;
  /**
   * A fresh id for an llvm.bpf.passthrough on a scalar (each call distinct, so LLVM merges
   * none). Counted per module: the IR of a file never depends on what was compiled before.
   */
  nextPassthroughSeq(): number;
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
  /** Variables whose declaration was reported as an error: their uses are not reported again. */
  readonly poisonedLocals = new Set<ts.Symbol>();
  /**
   * `data + offset` for const offsets below 64 KiB, computed where the offset is declared
   * (with the packet epoch it belongs to), so views at that offset on several paths share one
   * packet pointer, as C's `void *l4 = data + …` before a branch does.
   */
  readonly offsetPointers = new Map<ts.Symbol, { readonly epoch: number; readonly ptr: string }>();
  /**
   * Packet views not yet tested against null, by view id, with the SSA name of their
   * pass-through. See lowerHeader: a view whose null test comes after a later bounds check
   * gets an opaque barrier.
   */
  readonly views: { readonly name: string; readonly pointer: string; barrier: boolean }[] = [];
  readonly uncheckedViews = new Set<number>();
  /** ctx->data and ctx->data_end in stack slots, once the function reads them (packet.ts). */
  packetSlots?: { readonly data: string; readonly end: string };

  constructor(
    readonly mod: ModuleState,
    readonly fb: FunctionBuilder,
    readonly declaration: ts.FunctionDeclaration,
    readonly returnTy: Ty,
    /** The XdpContext pointer when the function has one. */
    public ctx: string | undefined,
    /** The XDP program this function body is emitted for (a helper: the program calling it). */
    readonly program: string,
  ) {}

  get checker(): ts.TypeChecker {
    return this.mod.checker;
  }

  error(template: DiagnosticTemplate, node: ts.Node | undefined, ...args: (string | number)[]): void {
    this.mod.reporter.error(template, node, ...args);
  }

  lowerExpression(node: ts.Expression, expected?: Ty): Value {
    return this.mod.lowering.expression(this, node, expected);
  }

  lowerStatement(node: ts.Statement): void {
    this.mod.lowering.statement(this, node);
  }

  lowerStatements(statements: readonly ts.Statement[]): void {
    for (const s of statements) this.mod.lowering.statement(this, s);
  }

  /** Moves the debug location to `node`'s start. */
  at(node: ts.Node): void {
    const file = node.getSourceFile();
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
    this.fb.at(line + 1, character + 1);
  }

  symbolOf(node: ts.Node): ts.Symbol | undefined {
    const s =
      node.parent && ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
        ? this.checker.getShorthandAssignmentValueSymbol(node.parent)
        : this.checker.getSymbolAtLocation(node);
    if (s && s.flags & ts.SymbolFlags.Alias) return this.checker.getAliasedSymbol(s);
    return s;
  }

  /** A view was tested against null: later bounds checks no longer concern it. */
  viewChecked(value: Value): void {
    if (value.viewId !== undefined) this.uncheckedViews.delete(value.viewId);
  }

  /**
   * Wraps a nullable packet view (from ctx.header or a helper returning one) in an identity
   * that finishFunction may turn into a barrier; returns the view with its id.
   */
  trackView(value: Value): Value {
    const name = this.fb.value(`getelementptr i8, ptr ${value.ir}, i64 0`);
    const viewId = this.views.length;
    this.views.push({ name, pointer: value.ir, barrier: false });
    this.uncheckedViews.add(viewId);
    return { ...value, ir: name, viewId };
  }

  /** A new bounds check is coming: every view still waiting for its null test needs a barrier. */
  boundsCheckAhead(): void {
    for (const id of this.uncheckedViews) this.views[id]!.barrier = true;
  }

  /** Puts the barrier (an opaque empty asm LLVM cannot see through) where needed. */
  placeViewBarriers(): void {
    for (const view of this.views) {
      if (view.barrier) this.fb.rewrite(view.name, `call ptr asm "", "=r,0"(ptr ${view.pointer})`);
    }
  }

  /** Reports a use of a view from an earlier packet epoch. */
  checkFresh(value: Value, name: string, node: ts.Node): void {
    if (value.epoch === undefined || value.epoch >= this.epoch) return;
    const cause = this.invalidations[value.epoch + 1] ?? this.invalidations[this.epoch]!;
    this.error(Diagnostics.StaleView, node, name, cause.what, cause.line);
  }
}

/** A syntax kind as words, for "not supported" diagnostics ("For In Statement"). */
export function describeKind(kind: ts.SyntaxKind): string {
  const name = ts.SyntaxKind[kind] ?? "This syntax";
  return name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/ (Expression|Statement|Declaration)$/, " $1")
    .trim();
}
