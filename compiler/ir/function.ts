// Builds one LLVM function as text: basic blocks, SSA temporaries, entry-block allocas, and
// a debug location on every instruction (LLVM requires one on inlinable calls, and BTF line
// info is derived from them, so the verifier log can show .xdp.ts lines).
import type { ModuleBuilder } from "./module.js";

interface Block {
  readonly label: string;
  readonly lines: string[];
  terminated: boolean;
}

export class FunctionBuilder {
  private readonly blocks: Block[] = [];
  private readonly entryAllocas: string[] = [];
  private current: Block;
  private temp = 0;
  private labels = new Map<string, number>();
  private location = "";
  private readonly locations = new Map<string, string>();

  constructor(
    private readonly module: ModuleBuilder,
    readonly scope: string,
  ) {
    this.current = this.newBlock("entry");
  }

  /** Sets the source position attached to the following instructions. */
  at(line: number, column: number): void {
    const key = `${line}:${column}`;
    let ref = this.locations.get(key);
    if (!ref) {
      ref = this.module.meta(`!DILocation(line: ${line}, column: ${column}, scope: ${this.scope})`);
      this.locations.set(key, ref);
    }
    this.location = ref;
  }
  get debugLocation(): string {
    return this.location;
  }

  newBlock(hint: string): Block {
    const n = this.labels.get(hint) ?? 0;
    this.labels.set(hint, n + 1);
    const block: Block = { label: n === 0 ? hint : `${hint}.${n}`, lines: [], terminated: false };
    this.blocks.push(block);
    return block;
  }
  setBlock(block: Block): void {
    this.current = block;
  }
  get block(): Block {
    return this.current;
  }
  get terminated(): boolean {
    return this.current.terminated;
  }

  private dbg(): string {
    return this.location ? `, !dbg ${this.location}` : "";
  }

  /** An instruction producing a value; returns the SSA name. */
  value(text: string): string {
    const name = `%t${this.temp++}`;
    this.push(`${name} = ${text}${this.dbg()}`);
    return name;
  }
  /** An instruction without a result. */
  inst(text: string): void {
    this.push(`${text}${this.dbg()}`);
  }
  private push(line: string): void {
    if (this.current.terminated) {
      // Code after return/break is unreachable: keep the IR well-formed in a dead block.
      this.current = this.newBlock("dead");
    }
    this.current.lines.push("  " + line);
  }

  br(target: Block): void {
    if (this.current.terminated) return;
    this.inst(`br label %${target.label}`);
    this.current.terminated = true;
  }
  /** `unlikely`: the true edge is rare (bounds failures), so the hot path falls through. */
  condBr(cond: string, ifTrue: Block, ifFalse: Block, unlikely = false): void {
    if (this.current.terminated) return;
    const weights = unlikely ? `, !prof ${this.module.meta('!{!"branch_weights", i32 1, i32 2000}')}` : "";
    this.inst(`br i1 ${cond}, label %${ifTrue.label}, label %${ifFalse.label}${weights}`);
    this.current.terminated = true;
  }
  /**
   * `ret <type> <value>` as clang emits it: the value goes to a return slot and every return
   * branches to one return block placed last. SimplifyCFG then lays out the early exits
   * as jumps forward to the end, as in C; a `ret` in place would make the first early
   * return's block the shared exit near the top, and BPF (whose conditional branches LLVM
   * 14 cannot invert after block placement) would pay a `goto` after many conditions.
   */
  ret(text: string): void {
    if (this.current.terminated) return;
    const [type, value] = text === "void" ? ["void", ""] : [text.slice(0, text.indexOf(" ")), text.slice(text.indexOf(" ") + 1)];
    if (!this.returnBlock) {
      this.returnBlock = { label: "return", lines: [], terminated: true };
      if (type !== "void") {
        this.returnSlot = `%ret${this.temp++}`;
        this.entryAllocas.push(`  ${this.returnSlot} = alloca ${type}, align 8`);
        this.returnBlock.lines.push(`  %retval = load ${type}, ptr ${this.returnSlot}`, `  ret ${type} %retval${this.dbg()}`);
      } else {
        this.returnBlock.lines.push(`  ret void${this.dbg()}`);
      }
    }
    if (this.returnSlot) this.inst(`store ${type} ${value}, ptr ${this.returnSlot}`);
    this.inst(`br label %return`);
    this.current.terminated = true;
  }
  private returnBlock?: Block;
  private returnSlot?: string;
  unreachable(): void {
    if (this.current.terminated) return;
    this.inst("unreachable");
    this.current.terminated = true;
  }

  /** Replaces the instruction that defines `name` (its debug location is kept). */
  rewrite(name: string, text: string): void {
    const prefix = `  ${name} = `;
    for (const block of this.blocks) {
      const i = block.lines.findIndex((l) => l.startsWith(prefix));
      if (i < 0) continue;
      const dbg = /, !dbg !\d+$/.exec(block.lines[i]!)?.[0] ?? "";
      block.lines[i] = `${prefix}${text}${dbg}`;
      return;
    }
  }

  /** Stack memory in the entry block, so mem2reg/SROA can promote it. */
  alloca(type: string, align: number): string {
    const name = `%a${this.temp++}`;
    this.entryAllocas.push(`  ${name} = alloca ${type}, align ${align}`);
    return name;
  }

  /** An instruction at the start of the entry block, after the allocas (no debug location). */
  prologueValue(text: string): string {
    const name = `%p${this.temp++}`;
    this.entryAllocas.push(`  ${name} = ${text}`);
    return name;
  }
  prologueInst(text: string): void {
    this.entryAllocas.push(`  ${text}`);
  }

  /**
   * Blocks in reverse post-order of the CFG, the false successor of a two-way branch
   * visited last so that it follows its block. LLVM keeps the IR order into instruction
   * selection, which can only make one successor of a conditional branch the fall-through
   * when that successor is the next block; LLVM 14's BPF backend cannot invert a branch
   * later, so any other order costs a `goto`. Creation order is not that order: `a || b || c`
   * creates the block for c before the one for b.
   */
  private layout(): Block[] {
    const byLabel = new Map(this.blocks.map((b) => [b.label, b]));
    const seen = new Set<Block>();
    const post: Block[] = [];
    const visit = (root: Block): void => {
      const stack: { block: Block; next: Block[] }[] = [{ block: root, next: this.successors(root, byLabel) }];
      seen.add(root);
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const succ = top.next.shift();
        if (!succ) {
          post.push(top.block);
          stack.pop();
        } else if (!seen.has(succ)) {
          seen.add(succ);
          stack.push({ block: succ, next: this.successors(succ, byLabel) });
        }
      }
    };
    visit(this.blocks[0]!);
    const order = post.reverse();
    // Unreachable blocks (code after a return) keep their place at the end.
    for (const b of this.blocks) if (!seen.has(b)) order.push(b);
    return order;
  }

  /** Successors in visiting order: a two-way branch's true target first, its false last. */
  private successors(block: Block, byLabel: Map<string, Block>): Block[] {
    const last = block.lines[block.lines.length - 1] ?? "";
    const labels = [...last.matchAll(/label %([A-Za-z0-9_.]+)/g)].map((m) => m[1]!);
    if (last.trimStart().startsWith("switch")) labels.reverse(); // cases first, the default last
    return labels.map((l) => byLabel.get(l)).filter((b): b is Block => b !== undefined);
  }

  toString(signature: string, attributes: string): string {
    // Joined piece by piece: spreading a block of 50,000 lines into push() overflows the stack.
    const parts = [`define ${signature} ${attributes} {`];
    this.layout().forEach((b, i) => {
      parts.push(`${b.label}:`);
      if (i === 0 && this.entryAllocas.length) parts.push(this.entryAllocas.join("\n"));
      if (b.lines.length) parts.push(b.lines.join("\n"));
      if (!b.terminated) parts.push("  unreachable");
    });
    if (this.returnBlock) parts.push("return:", this.returnBlock.lines.join("\n"));
    parts.push("}");
    return parts.join("\n");
  }
}

export type { Block };
