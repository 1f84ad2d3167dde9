// Debug-info metadata for the BPF object. LLVM's BPF backend turns it into BTF: map
// definitions (`__uint(type, …)` style members), key/value types that loaders decode,
// function prototypes with named parameters (the kernel rejects anonymous ones), and line
// info. Big-endian integers become typedefs `__be16`/`__be32`/`__be64`, as in kernel
// headers, so runtimes can tell network order from host order.
import path from "node:path";
import { type ModuleBuilder, irString } from "./module.js";
import { type FieldDisplay, type FieldType, type IntType, type StructLayout, type ArrayLayout, intName } from "../types.js";

export class DebugInfo {
  readonly cu: string;
  private readonly files = new Map<string, string>();
  private readonly ints = new Map<string, string>();
  private readonly structs = new Map<StructLayout, string>();
  private xdpMdPtr?: string;
  private readonly mainFile: string;

  constructor(
    private readonly m: ModuleBuilder,
    mainFile: string,
  ) {
    this.mainFile = this.file(mainFile);
    this.cu = m.reserveMeta();
    m.named.push(`!llvm.dbg.cu = !{${this.cu}}`);
    const flags = [
      m.meta(`!{i32 7, !"Dwarf Version", i32 5}`),
      m.meta(`!{i32 2, !"Debug Info Version", i32 3}`),
      m.meta(`!{i32 1, !"wchar_size", i32 4}`),
    ];
    m.named.push(`!llvm.module.flags = !{${flags.join(", ")}}`);
  }

  /** Called once all globals are known: fills the compile unit's globals list. */
  finish(): void {
    const globals = this.m.meta(`!{${this.m.cuGlobals.join(", ")}}`);
    this.m.fillMeta(
      this.cu,
      `distinct !DICompileUnit(language: DW_LANG_C99, file: ${this.mainFile}, producer: "tsxdp", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: ${globals})`,
    );
  }

  file(fileName: string): string {
    let ref = this.files.get(fileName);
    if (!ref) {
      ref = this.m.meta(
        `!DIFile(filename: ${irString(path.basename(fileName))}, directory: ${irString(path.dirname(path.resolve(fileName)))})`,
      );
      this.files.set(fileName, ref);
    }
    return ref;
  }

  basic(name: string, bits: number, signed: boolean): string {
    const key = `${name}/${bits}/${signed}`;
    let ref = this.ints.get(key);
    if (!ref) {
      const encoding =
        name === "char" ? "DW_ATE_signed_char" : name === "_Bool" ? "DW_ATE_boolean" : signed ? "DW_ATE_signed" : "DW_ATE_unsigned";
      ref = this.m.meta(`!DIBasicType(name: ${irString(name)}, size: ${bits}, encoding: ${encoding})`);
      this.ints.set(key, ref);
    }
    return ref;
  }

  int(t: IntType): string {
    const cName: Record<number, [string, string]> = {
      8: ["unsigned char", "signed char"],
      16: ["unsigned short", "short"],
      32: ["unsigned int", "int"],
      64: ["unsigned long long", "long long"],
    };
    const base = this.basic(cName[t.bits]![t.signed ? 1 : 0], t.bits, t.signed);
    if (!t.be) return base;
    const key = `typedef/${intName(t)}`;
    let ref = this.ints.get(key);
    if (!ref) {
      ref = this.m.meta(`!DIDerivedType(tag: DW_TAG_typedef, name: "__${intName(t)}", baseType: ${base})`);
      this.ints.set(key, ref);
    }
    return ref;
  }

  pointer(to: string): string {
    return this.m.meta(`!DIDerivedType(tag: DW_TAG_pointer_type, baseType: ${to}, size: 64)`);
  }

  array(element: string, elementBits: number, count: number): string {
    const range = this.m.meta(`!{${this.m.meta(`!DISubrange(count: ${count})`)}}`);
    return this.m.meta(`!DICompositeType(tag: DW_TAG_array_type, baseType: ${element}, size: ${elementBits * count}, elements: ${range})`);
  }

  fieldType(t: FieldType): string {
    switch (t.kind) {
      case "int":
        return t.display ? this.displayed(this.int(t.int), t.int.bits, t.display) : this.int(t.int);
      case "bool":
        return this.basic("_Bool", 8, false);
      case "struct":
        return this.struct(t.struct);
      case "array":
        return t.display ? this.displayed(this.arrayLayout(t.array), t.array.size * 8, t.display) : this.arrayLayout(t.array);
    }
  }

  /**
   * A field's display in BTF, which loaders and tsxdp maps read: an enum field becomes an
   * enum of its members (BTF_KIND_ENUM, as C's), an address a typedef `tsxdp_ipv4` (…ipv6,
   * …mac) over its storage type.
   */
  private displayed(base: string, bits: number, display: FieldDisplay): string {
    if ("address" in display)
      return this.m.meta(`!DIDerivedType(tag: DW_TAG_typedef, name: "tsxdp_${display.address}", baseType: ${base})`);
    const enumerators = display.members.map(([name, value]) =>
      this.m.meta(`!DIEnumerator(name: ${irString(name)}, value: ${value}, isUnsigned: true)`),
    );
    return this.m.meta(
      `!DICompositeType(tag: DW_TAG_enumeration_type, name: ${irString(display.enum)}, baseType: ${base}, size: ${bits}, elements: !{${enumerators.join(", ")}})`,
    );
  }

  arrayLayout(a: ArrayLayout): string {
    return this.array(this.fieldType(a.element), (a.size / a.length) * 8, a.length);
  }

  struct(s: StructLayout): string {
    let ref = this.structs.get(s);
    if (ref) return ref;
    ref = this.m.reserveMeta();
    this.structs.set(s, ref);
    const file = this.file(s.declaration?.getSourceFile().fileName ?? "tsxdp");
    const members = s.fields.map((f) => {
      const base = this.fieldType(f.type);
      if (f.bitField) {
        const bitOffset = f.offset * 8 + f.bitField.bitOffset;
        return this.m.meta(
          `!DIDerivedType(tag: DW_TAG_member, name: ${irString(f.name)}, scope: ${ref}, file: ${file}, baseType: ${base}, size: ${f.bitField.bits}, offset: ${bitOffset}, flags: DIFlagBitField, extraData: i64 ${f.offset * 8})`,
        );
      }
      return this.m.meta(
        `!DIDerivedType(tag: DW_TAG_member, name: ${irString(f.name)}, scope: ${ref}, file: ${file}, baseType: ${base}, size: ${fieldBits(f.type)}, offset: ${f.offset * 8})`,
      );
    });
    const elements = this.m.meta(`!{${members.join(", ")}}`);
    this.m.fillMeta(
      ref,
      `distinct !DICompositeType(tag: DW_TAG_structure_type, name: ${irString(s.name)}, file: ${file}, size: ${s.size * 8}, align: ${s.align * 8}, elements: ${elements})`,
    );
    return ref;
  }

  /** `struct xdp_md *`, the type of every program's context parameter. */
  xdpMdPointer(): string {
    if (this.xdpMdPtr) return this.xdpMdPtr;
    const u32 = this.basic("unsigned int", 32, false);
    const ref = this.m.reserveMeta();
    const names = ["data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex"];
    const members = names.map((n, i) =>
      this.m.meta(`!DIDerivedType(tag: DW_TAG_member, name: ${irString(n)}, scope: ${ref}, baseType: ${u32}, size: 32, offset: ${i * 32})`),
    );
    this.m.fillMeta(
      ref,
      `distinct !DICompositeType(tag: DW_TAG_structure_type, name: "xdp_md", size: 192, elements: ${this.m.meta(`!{${members.join(", ")}}`)})`,
    );
    this.xdpMdPtr = this.pointer(ref);
    return this.xdpMdPtr;
  }

  /** `int (*name)[value]`: how BTF-defined maps encode integer attributes. */
  mapAttribute(value: number): string {
    return this.pointer(this.array(this.basic("int", 32, true), 32, value));
  }

  /** A global variable of a BTF-defined map or other data; returns its expression ref. */
  globalVariable(name: string, type: string, fileName: string, line: number): string {
    const file = this.file(fileName);
    const v = this.m.meta(
      `distinct !DIGlobalVariable(name: ${irString(name)}, scope: ${this.cu}, file: ${file}, line: ${line}, type: ${type}, isLocal: false, isDefinition: true)`,
    );
    const expr = this.m.meta(`!DIGlobalVariableExpression(var: ${v}, expr: !DIExpression())`);
    this.m.cuGlobals.push(expr);
    return expr;
  }

  subprogram(
    name: string,
    fileName: string,
    line: number,
    returnType: string | null,
    params: { name: string; type: string }[],
    local: boolean,
  ): { scope: string; params: string[] } {
    const file = this.file(fileName);
    const typeList = this.m.meta(`!{${[returnType ?? "null", ...params.map((p) => p.type)].join(", ")}}`);
    const subroutine = this.m.meta(`!DISubroutineType(types: ${typeList})`);
    const scope = this.m.reserveMeta();
    const paramVars = params.map((p, i) =>
      this.m.meta(
        `!DILocalVariable(name: ${irString(p.name)}, arg: ${i + 1}, scope: ${scope}, file: ${file}, line: ${line}, type: ${p.type})`,
      ),
    );
    const retained = this.m.meta(`!{${paramVars.join(", ")}}`);
    const spFlags = local ? "DISPFlagLocalToUnit | DISPFlagDefinition | DISPFlagOptimized" : "DISPFlagDefinition | DISPFlagOptimized";
    this.m.fillMeta(
      scope,
      `distinct !DISubprogram(name: ${irString(name)}, scope: ${file}, file: ${file}, line: ${line}, type: ${subroutine}, scopeLine: ${line}, flags: DIFlagPrototyped, spFlags: ${spFlags}, unit: ${this.cu}, retainedNodes: ${retained})`,
    );
    return { scope, params: paramVars };
  }
}

function fieldBits(t: FieldType): number {
  switch (t.kind) {
    case "int":
      return t.int.bits;
    case "bool":
      return 8;
    case "struct":
      return t.struct.size * 8;
    case "array":
      return t.array.size * 8;
  }
}
