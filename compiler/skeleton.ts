// The skeleton generator: from the same analysis that produced the object, a typed module
// NAME.skel.js + NAME.skel.d.ts (plain JavaScript plus declarations, so both JavaScript
// and TypeScript import it without a build step). The ELF is embedded (base64), so a
// skeleton keeps working after `npm pack` or a copy. Every type here is derived from the
// .xdp.ts source: change a field there and the user's Node code stops compiling.
import fs from "node:fs";
import path from "node:path";
import type { FieldType, StructLayout } from "./types.js";
import type { CompiledObject, MapDefinition, GlobalDefinition, ConstEnum } from "./object-model.js";
import type { LayoutSpec } from "../runtime/layout-spec.js";
import { XDP } from "../runtime/xdp.js";

/** A ring record without a declared type: its bytes. */
const rawRecord: LayoutSpec = { kind: "array", element: { kind: "int", bits: 8, signed: false }, length: 0 };

/** `flow-count.xdp.ts` → `FlowCount`. */
export function skeletonClassName(source: string): string {
  const base = path.basename(source).replace(/\.xdp\.ts$|\.ts$/, "");
  const name = base
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
  return /^[0-9]/.test(name) ? `Xdp${name}` : name || "Program";
}

/** The stdlib's XDP, as tsxdp/runtime exports it (the same enum: RUNTIME.md). */
const xdpMembers = Object.entries(XDP).filter((e): e is [string, number] => typeof e[1] === "number");

class TypeNamer {
  readonly interfaces = new Map<StructLayout, string>();
  private readonly used = new Set<string>();
  readonly declarations: string[] = [];
  /** Whether a type names XDP, imported from tsxdp/runtime. */
  usesXdp = false;

  /** `enums`: the file's exported const enums, which the skeleton declares. */
  constructor(private readonly enums: readonly ConstEnum[]) {}

  ts(t: FieldType): string {
    switch (t.kind) {
      case "int":
        return this.enumName(t) ?? (t.int.bits === 64 ? "bigint" : "number");
      case "bool":
        return "boolean";
      case "array": {
        const e = t.array.element;
        if (e.kind === "int" && e.int.bits === 8 && !e.int.signed) return "Uint8Array";
        return `${this.ts(e)}[]`;
      }
      case "struct":
        return this.struct(t.struct);
    }
  }

  /**
   * The enum a value is declared with, where the skeleton has it to name: one of the file's
   * exported const enums (declared by the skeleton too), or XDP (tsxdp/runtime's). The values
   * stay numbers: the name only lets TypeScript refuse another enum or a number that is no
   * member. An enum the skeleton does not export (unexported, imported from another file)
   * leaves `number`. Name and members must both agree: an imported enum may share a name.
   */
  private enumName(t: FieldType & { kind: "int" }): string | undefined {
    const display = t.display;
    if (!display || !("enum" in display)) return undefined;
    const same = (members: readonly (readonly [string, number])[]) =>
      members.length === display.members.length &&
      members.every(([n, v], i) => display.members[i]![0] === n && display.members[i]![1] === v);
    if (this.enums.some((e) => e.name === display.enum && same(e.members))) return display.enum;
    if (display.enum === "XDP" && same(xdpMembers)) {
      this.usesXdp = true;
      return "XDP";
    }
    return undefined;
  }

  private struct(s: StructLayout): string {
    const known = this.interfaces.get(s);
    if (known) return known;
    let name = s.name;
    for (let i = 2; this.used.has(name); i++) name = `${s.name}${i}`;
    this.used.add(name);
    this.interfaces.set(s, name);
    const fields = s.fields.map(
      (f) =>
        `  ${f.name}: ${this.ts(f.type)};${f.type.kind === "int" && f.type.int.be ? ` // network order in the kernel; host order here` : ""}`,
    );
    this.declarations.push(`export interface ${name} {\n${fields.join("\n")}\n}`);
    return name;
  }
}

function mapType(map: MapDefinition, types: TypeNamer): string {
  if (map.className === "RingBuf") return `RingBufReader<${map.record ? types.ts(map.record) : "Uint8Array"}>`;
  const key = map.key ? types.ts(map.key) : "number";
  const value = map.value ? types.ts(map.value) : "number";
  return map.kind.perCpu ? `PerCpuMap<${key}, ${value}>` : `TypedMap<${key}, ${value}>`;
}

export function generateSkeleton(input: CompiledObject): { js: string; dts: string } {
  const className = skeletonClassName(input.source);
  const enums = input.enums ?? [];
  const types = new TypeNamer(enums);
  const mapLines = input.maps.map((m) => `    readonly ${m.name}: ${mapType(m, types)};`);
  const configs = input.globals.filter((g) => g.kind === "config");
  const globals = input.globals.filter((g) => g.kind === "global");
  // A struct or array variable is read and written whole: the getter gives a decoded copy
  // (Readonly, so a field assignment on it — which would change nothing — does not compile).
  const variable = (g: GlobalDefinition) => {
    const t = types.ts(g.type);
    return g.type.kind === "struct" || g.type.kind === "array"
      ? [`  get ${g.name}(): Readonly<${t}>;`, `  set ${g.name}(value: ${t});`]
      : [`  ${g.name}: ${t};`];
  };
  const configLines = configs.flatMap(variable);
  const globalLines = globals.flatMap(variable);
  // Quoted and escaped: a newline (or U+2028) in a file name would end the comment it is in.
  const sourceName = JSON.stringify(path.basename(input.source)).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  const elf = fs.readFileSync(input.object).toString("base64");

  const dts = [
    `// Generated by tsxdp from ${sourceName}. Do not edit: rebuild with \`tsxdp build ${sourceName}\`.`,
    `import type { BpfObject, OpenOptions, XdpProgram, TypedMap, PerCpuMap, RingBufReader, LogStream${types.usesXdp ? ", XDP" : ""} } from "tsxdp/runtime";`,
    "",
    ...types.declarations.flatMap((d) => [d, ""]),
    ...enums.flatMap((e) => [
      `/** The program's const enum ${e.name}: members by name, and names by value (${e.name}[value]). */`,
      `export declare enum ${e.name} {`,
      ...e.members.map(([n, v]) => `  ${n} = ${v},`),
      `}`,
      "",
    ]),
    `export interface ${className}Programs {`,
    ...input.programs.map((p) => `  readonly ${p}: XdpProgram;`),
    `}`,
    "",
    `export interface ${className}Maps {`,
    ...mapLines.map((l) => l.slice(2)),
    `}`,
    "",
    `/** Read-only configuration (.rodata): set before load(). */`,
    `export interface ${className}Config {`,
    ...configLines,
    `}`,
    "",
    `/** Globals shared with the program (.data/.bss): read and write after load(). */`,
    `export interface ${className}Globals {`,
    ...globalLines,
    `}`,
    "",
    `export declare class ${className} implements AsyncDisposable, Disposable {`,
    `  /** Opens the embedded object without loading it: set \`config\` first, then load(). */`,
    `  static open(options?: OpenOptions): Promise<${className}>;`,
    `  /** Opens and loads into the kernel in one step. */`,
    `  static load(options?: OpenOptions): Promise<${className}>;`,
    `  /** The object's ELF bytes, as built. */`,
    `  static readonly elf: Uint8Array;`,
    `  readonly object: BpfObject;`,
    `  readonly programs: ${className}Programs;`,
    `  readonly maps: ${className}Maps;`,
    `  readonly config: ${className}Config;`,
    `  readonly globals: ${className}Globals;`,
    `  /** Lines of the programs' log.* calls: \`for await (const line of skel.logs)\`. */`,
    `  readonly logs: LogStream;`,
    `  load(): Promise<this>;`,
    `  close(): void;`,
    `  [Symbol.dispose](): void;`,
    `  [Symbol.asyncDispose](): Promise<void>;`,
    `}`,
    "",
  ].join("\n");

  const js = [
    `// Generated by tsxdp from ${sourceName}. Do not edit: rebuild with \`tsxdp build ${sourceName}\`.`,
    `import { BpfObject } from "tsxdp/runtime";`,
    "",
    `const elf = Uint8Array.from(Buffer.from(${JSON.stringify(elf)}, "base64"));`,
    ...enums.map(
      (e) =>
        `export const ${e.name} = Object.freeze(${JSON.stringify(Object.fromEntries([...e.members, ...e.members.map(([n, v]) => [String(v), n])]))});`,
    ),
    `const programNames = ${JSON.stringify(input.programs)};`,
    `const mapNames = ${JSON.stringify(input.maps.filter((m) => m.className !== "RingBuf").map((m) => m.name))};`,
    `// RingBuf record layouts, from the .xdp.ts source (BTF does not describe ring records).`,
    `const ringLayouts = ${JSON.stringify(Object.fromEntries(input.maps.filter((m) => m.className === "RingBuf").map((m) => [m.name, m.record ? layoutSpec(m.record) : rawRecord])))};`,
    `const configNames = ${JSON.stringify(configs.map((g) => g.name))};`,
    `const globalNames = ${JSON.stringify(globals.map((g) => g.name))};`,
    "",
    `export class ${className} {`,
    `  static elf = elf;`,
    `  static async open(options = {}) {`,
    `    // The embedded ELF was written by tsxdp's compiler, not read from outside: libbpf runs`,
    `    // in-process without the forked crash probe (BpfObject.open's default for foreign bytes).`,
    `    return new ${className}(await BpfObject.open(elf, { isolate: false, ...options }));`,
    `  }`,
    `  static async load(options = {}) {`,
    `    return (await ${className}.open(options)).load();`,
    `  }`,
    `  constructor(object) {`,
    `    this.object = object;`,
    `    this.programs = Object.freeze(Object.fromEntries(programNames.map((n) => [n, object.program(n)])));`,
    `    this.maps = Object.freeze(Object.fromEntries([`,
    `      ...mapNames.map((n) => [n, object.map(n)]),`,
    `      ...Object.entries(ringLayouts).map(([n, layout]) => [n, object.ringBuf(n, layout)]),`,
    `    ]));`,
    `    this.config = variables(object, configNames);`,
    `    this.globals = variables(object, globalNames);`,
    `  }`,
    `  get logs() {`,
    `    return this.object.logs;`,
    `  }`,
    `  async load() {`,
    `    await this.object.load();`,
    `    return this;`,
    `  }`,
    `  close() {`,
    `    this.object.close();`,
    `  }`,
    `  [Symbol.dispose]() {`,
    `    this.close();`,
    `  }`,
    `  async [Symbol.asyncDispose]() {`,
    `    this.close();`,
    `  }`,
    `}`,
    "",
    `function variables(object, names) {`,
    `  const view = {};`,
    `  for (const name of names) {`,
    `    Object.defineProperty(view, name, {`,
    `      enumerable: true,`,
    `      get: () => object.variable(name).get(),`,
    `      set: (value) => object.variable(name).set(value),`,
    `    });`,
    `  }`,
    `  return Object.seal(view);`,
    `}`,
    "",
  ].join("\n");
  return { js, dts };
}

/** The runtime's LayoutSpec for a field type (the record codec is built from it). */
function layoutSpec(t: FieldType): LayoutSpec {
  switch (t.kind) {
    case "int":
      return { kind: "int", bits: t.int.bits, signed: t.int.signed, be: t.int.be };
    case "bool":
      return { kind: "bool" };
    case "array":
      return { kind: "array", element: layoutSpec(t.array.element), length: t.array.length };
    case "struct":
      return {
        kind: "struct",
        name: t.struct.name,
        size: t.struct.size,
        fields: t.struct.fields.map((f) =>
          f.bitField
            ? { name: f.name, offset: f.offset, type: layoutSpec(f.type), bitOffset: f.bitField.bitOffset, bits: f.bitField.bits }
            : { name: f.name, offset: f.offset, type: layoutSpec(f.type) },
        ),
      };
  }
}
