// The parts of a relocatable BPF ELF object the VM needs: sections (through elfy), the symbol
// table and REL relocations (elfy parses neither). Nothing here knows about BPF semantics.
import elfy from "elfy";

export interface ElfSection {
  index: number;
  name: string;
  type: string;
  /** SHF_EXECINSTR: code. */
  executable: boolean;
  data: Uint8Array;
  size: number;
  link: number;
  info: number;
}

export interface ElfSymbol {
  name: string;
  /** STT_*: 0 notype, 1 object, 2 func, 3 section. */
  type: number;
  /** STB_*: 0 local, 1 global, 2 weak. */
  binding: number;
  section: number;
  value: number;
  size: number;
}

export interface ElfRelocation {
  offset: number;
  type: number;
  symbol: ElfSymbol;
}

export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** REL relocations by the index of the section they apply to. */
  relocations: Map<number, ElfRelocation[]>;
  section(name: string): ElfSection | undefined;
}

const EM_BPF = 247;

export function readElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new Error("not an ELF file (bad magic)");
  const head = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error("not a 64-bit little-endian ELF file (BPF objects are ELF64 LSB)");
  if (head.getUint16(18, true) !== EM_BPF) throw new Error(`not a BPF object (ELF machine ${head.getUint16(18, true)}, BPF is ${EM_BPF})`);
  let parsed: ReturnType<typeof elfy.parse>;
  try {
    parsed = elfy.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new Error(`malformed ELF: ${(error as Error).message}`);
  }
  const raw = parsed.body.sections as unknown as {
    name: string;
    type: string | number;
    flags: Record<string, boolean> | undefined;
    data: Buffer;
    size: number;
    link: number;
    info: number;
  }[];
  const sections: ElfSection[] = raw.map((s, index) => ({
    index,
    name: s.name,
    type: String(s.type),
    executable: Boolean(s.flags && (s.flags as Record<string, boolean>).execinstr),
    data: s.type === "nobits" ? new Uint8Array(s.size) : new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength),
    size: s.size,
    link: s.link,
    info: s.info,
  }));
  for (const s of sections)
    if (s.type !== "nobits" && s.data.length !== s.size)
      throw new Error(`malformed ELF: section '${s.name}' runs past the end of the file`);
  const symtab = sections.find((s) => s.type === "symtab");
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    const strtab = sections[symtab.link];
    if (!strtab) throw new Error("malformed ELF: the symbol table has no string table");
    const view = dataView(symtab.data);
    for (let at = 0; at + 24 <= symtab.data.length; at += 24) {
      const info = view.getUint8(at + 4);
      symbols.push({
        name: cString(strtab.data, view.getUint32(at, true)),
        type: info & 0xf,
        binding: info >> 4,
        section: view.getUint16(at + 6, true),
        value: Number(view.getBigUint64(at + 8, true)),
        size: Number(view.getBigUint64(at + 16, true)),
      });
    }
  }
  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type !== "rel") continue;
    const view = dataView(s.data);
    const list: ElfRelocation[] = [];
    for (let at = 0; at + 16 <= s.data.length; at += 16) {
      const info = view.getBigUint64(at + 8, true);
      const symbol = symbols[Number(info >> 32n)];
      if (!symbol) throw new Error(`malformed ELF: relocation in '${s.name}' names symbol ${info >> 32n}, which does not exist`);
      list.push({ offset: Number(view.getBigUint64(at, true)), type: Number(info & 0xffffffffn), symbol });
    }
    relocations.set(s.info, list);
  }
  return { sections, symbols, relocations, section: (name) => sections.find((s) => s.name === name) };
}

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function cString(bytes: Uint8Array, offset: number): string {
  let end = offset;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.max(0, end - offset)).toString("utf8");
}
