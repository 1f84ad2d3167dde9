// The spec of a BPF object as the VM runs it (cilium/ebpf's "spec": what the ELF says, no
// kernel): map definitions from BTF-defined `.maps` and the global data sections, programs
// with their relocations resolved the way libbpf resolves them (map references, global
// data, BPF-to-BPF calls into .text), and .BTF.ext line info for error messages.
import { Btf, BtfKind, type BtfType } from "../btf.js";
import { MapType } from "../map.js";
import type { NativeMapInfo } from "../native.js";
import { type ElfFile, type ElfSection, type ElfSymbol, dataView, readElf } from "./elf.js";

/** A map as the ELF declares it (internal: a global data section, .rodata/.data/.bss and .NAME variants). */
export interface VmMapSpec extends Omit<NativeMapInfo, "fd"> {
  /** The section's bytes: the initial value of an internal map. */
  initial?: Uint8Array;
  /** .rodata: programs cannot write it (libbpf freezes it). */
  readOnly?: boolean;
}

export interface LineInfo {
  file: string;
  line: number;
  column: number;
  text: string;
}

export interface VmProgramSpec {
  name: string;
  section: string;
  /** 8 bytes per instruction; ld_imm64 map references carry the map index (see MapReference). */
  code: Uint8Array;
  /** ld_imm64 at this instruction index loads a map (offset undefined) or a pointer into a data map's value. */
  mapReferences: Map<number, { map: number; offset?: number }>;
  /** BPF-to-BPF calls: instruction index → index of the callee's first instruction. */
  calls: Map<number, number>;
  /** Line info by instruction index (nearest preceding record applies). */
  lines: { index: number; info: LineInfo }[];
}

export interface VmObjectSpec {
  maps: VmMapSpec[];
  programs: VmProgramSpec[];
  /** .BTF with the data-section offsets relocated (what libbpf hands out). */
  btf?: Uint8Array;
  license: string;
}

const BPF_PSEUDO_CALL = 1;
const BPF_F_RDONLY_PROG = 0x80;
const dataSection = /^\.(rodata|data|bss)(\..*)?$/;

export function readObjectSpec(bytes: Uint8Array, objectName: string): VmObjectSpec {
  const elf = readElf(bytes);
  const btfSection = elf.section(".BTF");
  let btfBytes: Uint8Array | undefined;
  let btf: Btf | undefined;
  if (btfSection) {
    btfBytes = Uint8Array.from(btfSection.data);
    applyDataRelocations(elf, btfSection, btfBytes);
    try {
      btf = new Btf(btfBytes);
    } catch (error) {
      throw new Error(`malformed BTF in the object: ${(error as Error).message}`);
    }
  }
  const maps: VmMapSpec[] = [];
  const mapBySymbol = new Map<string, number>();
  const mapsSection = elf.section(".maps");
  if (mapsSection) {
    if (!btf) throw new Error("the object has a .maps section but no .BTF to describe it");
    const datasec = btf.types.find((t) => t.kind === BtfKind.DATASEC && t.name === ".maps");
    for (const v of datasec?.vars ?? []) {
      const variable = btf.type(v.type);
      const spec = mapDefinition(btf, variable);
      mapBySymbol.set(`${mapsSection.index}:${variable.name}`, maps.length);
      maps.push(spec);
    }
  }
  const dataMapBySection = new Map<number, number>();
  const prefix = objectName.slice(0, 8);
  for (const s of elf.sections) {
    if (!dataSection.test(s.name) || s.size === 0 || (s.type !== "progbits" && s.type !== "nobits")) continue;
    const datasec = btf?.types.find((t) => t.kind === BtfKind.DATASEC && t.name === s.name);
    const readOnly = s.name.startsWith(".rodata");
    dataMapBySection.set(s.index, maps.length);
    maps.push({
      name: `${prefix}${s.name}`.slice(0, 15),
      type: MapType.ARRAY,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      flags: readOnly ? BPF_F_RDONLY_PROG : 0,
      btfKeyTypeId: 0,
      btfValueTypeId: datasec?.id ?? 0,
      internal: true,
      initial: Uint8Array.from(s.data),
      readOnly,
    });
  }
  const lineRecords = btf && btfSection ? readLineInfo(elf, btf) : new Map<string, { offset: number; info: LineInfo }[]>();
  const text = elf.section(".text");
  const programs: VmProgramSpec[] = [];
  for (const s of elf.sections) {
    if (!s.executable || s.name === ".text" || s.size === 0) continue;
    const functions = elf.symbols
      .filter((sym) => sym.section === s.index && sym.type === 2 && sym.binding !== 0)
      .sort((a, b) => a.value - b.value);
    for (const fn of functions) {
      programs.push(linkProgram(elf, s, fn, text, { maps, mapBySymbol, dataMapBySection, lineRecords }));
    }
  }
  const license = elf.section("license");
  return { maps, programs, btf: btfBytes, license: license ? Buffer.from(license.data).toString("utf8").replace(/\0.*$/s, "") : "" };
}

/** LLVM leaves the DATASEC variable offsets of .BTF to relocations (libbpf fills them in). */
function applyDataRelocations(elf: ElfFile, section: ElfSection, bytes: Uint8Array): void {
  const view = dataView(bytes);
  for (const r of elf.relocations.get(section.index) ?? []) {
    if (r.offset + 4 > bytes.length) continue;
    view.setUint32(r.offset, (view.getUint32(r.offset, true) + r.symbol.value) >>> 0, true);
  }
}

/** A BTF-defined map: `struct { __uint(type, …); __type(key, …); … } name SEC(".maps")`. */
function mapDefinition(btf: Btf, variable: BtfType): VmMapSpec {
  const def = btf.unqualified(variable.sizeOrType);
  if (def.kind !== BtfKind.STRUCT) throw new Error(`map '${variable.name}': its .maps definition is not a struct`);
  const spec: VmMapSpec = {
    name: variable.name,
    type: 0,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    flags: 0,
    btfKeyTypeId: 0,
    btfValueTypeId: 0,
  };
  for (const m of def.members ?? []) {
    const member = btf.unqualified(m.type);
    // __uint(name, N) is `int (*name)[N]`; __type(name, T) is `T *name`.
    const number = () => {
      const target = member.kind === BtfKind.PTR ? btf.unqualified(member.sizeOrType) : undefined;
      if (!target || target.kind !== BtfKind.ARRAY)
        throw new Error(`map '${variable.name}': field '${m.name}' is not __uint(${m.name}, N)`);
      return target.array!.length;
    };
    const pointee = () => {
      if (member.kind !== BtfKind.PTR) throw new Error(`map '${variable.name}': field '${m.name}' is not __type(${m.name}, T)`);
      return member.sizeOrType;
    };
    switch (m.name) {
      case "type":
        spec.type = number();
        break;
      case "max_entries":
        spec.maxEntries = number();
        break;
      case "map_flags":
        spec.flags = number();
        break;
      case "key_size":
        spec.keySize = number();
        break;
      case "value_size":
        spec.valueSize = number();
        break;
      case "key":
        spec.btfKeyTypeId = pointee();
        spec.keySize = btf.sizeOf(spec.btfKeyTypeId);
        break;
      case "value":
        spec.btfValueTypeId = pointee();
        spec.valueSize = btf.sizeOf(spec.btfValueTypeId);
        break;
      default:
        break; // pinning, numa_node, values: nothing the VM does
    }
  }
  if (spec.type === MapType.RINGBUF) spec.keySize = spec.valueSize = 0;
  return spec;
}

interface LinkContext {
  maps: VmMapSpec[];
  mapBySymbol: Map<string, number>;
  dataMapBySection: Map<number, number>;
  lineRecords: Map<string, { offset: number; info: LineInfo }[]>;
}

/**
 * One program: its instructions, then the whole of .text when it calls into it (libbpf
 * appends the subprograms it uses; appending all of them gives the same behaviour).
 */
function linkProgram(elf: ElfFile, section: ElfSection, fn: ElfSymbol, text: ElfSection | undefined, context: LinkContext): VmProgramSpec {
  const size = fn.size || section.size - fn.value;
  const mainCount = size / 8;
  const own = elf.relocations.get(section.index) ?? [];
  const usesText =
    text !== undefined &&
    text.size > 0 &&
    (own.some((r) => r.symbol.section === text.index && isCall(section.data, r.offset)) ||
      [...Array(mainCount).keys()].some((i) => isInSectionCall(section.data, fn.value + i * 8)));
  const code = new Uint8Array(size + (usesText ? text!.size : 0));
  code.set(section.data.subarray(fn.value, fn.value + size), 0);
  if (usesText) code.set(text!.data, size);
  const program: VmProgramSpec = { name: fn.name, section: section.name, code, mapReferences: new Map(), calls: new Map(), lines: [] };
  const place = (from: ElfSection, base: number, start: number, end: number) => {
    const view = dataView(from.data);
    for (const r of elf.relocations.get(from.index) ?? []) {
      if (r.offset < start || r.offset >= end) continue;
      const index = base + (r.offset - start) / 8;
      const opcode = from.data[r.offset];
      const imm = view.getInt32(r.offset + 4, true);
      if (opcode === 0x85) {
        if (r.symbol.section !== text?.index)
          throw new Error(`program '${fn.name}': a call relocation against '${r.symbol.name}' outside .text`);
        program.calls.set(index, mainCount + r.symbol.value / 8 + imm + 1);
      } else if (opcode === 0x18) {
        const mapIndex = context.mapBySymbol.get(`${r.symbol.section}:${r.symbol.name}`) ?? mapAtOffset(elf, context, r.symbol);
        if (mapIndex !== undefined) {
          program.mapReferences.set(index, { map: mapIndex });
          continue;
        }
        const dataMap = context.dataMapBySection.get(r.symbol.section);
        if (dataMap === undefined)
          throw new Error(
            `program '${fn.name}': instruction ${index} refers to '${r.symbol.name}', which is neither a map nor global data`,
          );
        program.mapReferences.set(index, { map: dataMap, offset: r.symbol.value + imm });
      } else {
        throw new Error(`program '${fn.name}': unsupported relocation at instruction ${index} (opcode 0x${opcode?.toString(16)})`);
      }
    }
    for (let at = start; at < end; at += 8) {
      if (!isInSectionCall(from.data, at) || program.calls.has(base + (at - start) / 8)) continue;
      const target = (at - start) / 8 + view.getInt32(at + 4, true) + 1;
      if (target < 0 || target * 8 >= end - start)
        throw new Error(
          `program '${fn.name}': a call at instruction ${base + (at - start) / 8} leaves the function (subprograms in the same section are not supported by the VM)`,
        );
      program.calls.set(base + (at - start) / 8, base + target);
    }
    for (const record of context.lineRecords.get(from.name) ?? []) {
      if (record.offset >= start && record.offset < end)
        program.lines.push({ index: base + (record.offset - start) / 8, info: record.info });
    }
  };
  place(section, 0, fn.value, fn.value + size);
  if (usesText) place(text!, mainCount, 0, text!.size);
  program.lines.sort((a, b) => a.index - b.index);
  return program;
}

function isCall(data: Uint8Array, offset: number): boolean {
  return data[offset] === 0x85;
}

/** A `call` with src_reg BPF_PSEUDO_CALL and no relocation: a call inside the same section. */
function isInSectionCall(data: Uint8Array, offset: number): boolean {
  return data[offset] === 0x85 && data[offset + 1]! >> 4 === BPF_PSEUDO_CALL;
}

function mapAtOffset(elf: ElfFile, context: LinkContext, symbol: ElfSymbol): number | undefined {
  const section = elf.sections[symbol.section];
  if (section?.name !== ".maps") return undefined;
  const named = elf.symbols.find((s) => s.section === symbol.section && s.value === symbol.value && s.type !== 3 && s.name);
  return named ? context.mapBySymbol.get(`${symbol.section}:${named.name}`) : undefined;
}

/** .BTF.ext line info, by section name: byte offset of the instruction → source line. */
function readLineInfo(elf: ElfFile, btf: Btf): Map<string, { offset: number; info: LineInfo }[]> {
  const out = new Map<string, { offset: number; info: LineInfo }[]>();
  const ext = elf.section(".BTF.ext");
  if (!ext || ext.data.length < 32) return out;
  const view = dataView(ext.data);
  if (view.getUint16(0, true) !== 0xeb9f) return out;
  const headerLength = view.getUint32(4, true);
  const lineOffset = headerLength + view.getUint32(16, true);
  const lineLength = view.getUint32(20, true);
  if (lineLength < 4 || lineOffset + lineLength > ext.data.length) return out;
  const recordSize = view.getUint32(lineOffset, true);
  let at = lineOffset + 4;
  const end = lineOffset + lineLength;
  while (at + 8 <= end) {
    const section = btf.string(view.getUint32(at, true));
    const count = view.getUint32(at + 4, true);
    at += 8;
    const list = out.get(section) ?? [];
    for (let i = 0; i < count && at + 16 <= end; i++, at += recordSize) {
      const lineCol = view.getUint32(at + 12, true);
      list.push({
        offset: view.getUint32(at, true),
        info: {
          file: btf.string(view.getUint32(at + 4, true)),
          text: btf.string(view.getUint32(at + 8, true)).trim(),
          line: lineCol >>> 10,
          column: lineCol & 0x3ff,
        },
      });
    }
    out.set(section, list);
  }
  return out;
}
