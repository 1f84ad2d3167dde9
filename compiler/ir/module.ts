// A small builder for textual LLVM IR modules targeting BPF: globals, functions and the
// numbered metadata that carries debug info (from which LLVM writes .BTF and .BTF.ext).
// Pointers are opaque (`ptr`); LLVM 14 is run with -opaque-pointers (see llvm.ts).

export class ModuleBuilder {
  private readonly globals: string[] = [];
  private readonly functions: string[] = [];
  private readonly declarations = new Set<string>();
  private readonly metadata: string[] = [];
  private readonly metadataByText = new Map<string, string>();
  private readonly used: string[] = [];
  private readonly strings = new Map<string, string>();
  readonly cuGlobals: string[] = [];
  /** Named metadata lines (`!llvm.dbg.cu = !{!0}`). */
  readonly named: string[] = [];

  /** A metadata node; identical non-distinct nodes are shared. Returns its reference "!N". */
  meta(text: string): string {
    const distinct = text.startsWith("distinct ");
    if (!distinct) {
      const known = this.metadataByText.get(text);
      if (known) return known;
    }
    const ref = `!${this.metadata.length}`;
    this.metadata.push(text);
    if (!distinct) this.metadataByText.set(text, ref);
    return ref;
  }

  /** Reserve a metadata slot to fill later (for self-referencing nodes such as struct scopes). */
  reserveMeta(): string {
    const ref = `!${this.metadata.length}`;
    this.metadata.push("");
    return ref;
  }
  fillMeta(ref: string, text: string): void {
    this.metadata[Number(ref.slice(1))] = text;
  }

  addGlobal(text: string, name?: string, used = false): void {
    this.globals.push(text);
    if (used && name) this.used.push(name);
  }
  addFunction(text: string): void {
    this.functions.push(text);
  }
  declare(text: string): void {
    this.declarations.add(text);
  }

  /** A NUL-terminated constant string (printk formats); returns the global's name. */
  cString(value: string): string {
    const known = this.strings.get(value);
    if (known) return known;
    const name = `@.str.${this.strings.size}`;
    this.globals.push(`${name} = private unnamed_addr constant [${Buffer.byteLength(value) + 1} x i8] c${irString(value + "\0")}, align 1`);
    this.strings.set(value, name);
    return name;
  }

  toString(header: string[]): string {
    // Sections are joined, not spread into push(): a huge program's arrays overflow the stack.
    const out = [...header, "", this.globals.join("\n")];
    if (this.used.length) {
      out.push(
        `@llvm.compiler.used = appending global [${this.used.length} x ptr] [${this.used.map((u) => `ptr ${u}`).join(", ")}], section "llvm.metadata"`,
      );
    }
    out.push("", this.functions.join("\n"), "", [...this.declarations].join("\n"), "");
    out.push('attributes #0 = { nounwind "frame-pointer"="all" }');
    out.push('attributes #1 = { alwaysinline nounwind "frame-pointer"="all" }');
    out.push("attributes #2 = { nofree nosync nounwind readnone speculatable willreturn }", "");
    out.push(this.named.join("\n"), this.metadata.map((text, i) => `!${i} = ${text}`).join("\n"));
    return out.join("\n") + "\n";
  }
}

/**
 * `value` as a quoted LLVM string (metadata strings, names, `c"…"` constants): every byte
 * outside printable ASCII, and `"` and `\`, as `\XX`. File and folder names reach the IR,
 * and a quote or a newline in one would otherwise end the string or the line.
 */
export function irString(value: string): string {
  const bytes = [...Buffer.from(value, "utf8")];
  return `"${bytes.map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : "\\" + b.toString(16).padStart(2, "0").toUpperCase())).join("")}"`;
}
