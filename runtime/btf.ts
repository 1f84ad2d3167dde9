// A reader for BTF (the kernel's BPF Type Format), enough to build codecs for map keys,
// values and global variables: integers, pointers, arrays, structs/unions (with bit
// fields), enums, typedefs and qualifiers, variables and data sections.
export const BtfKind = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  bitSize: number;
}
export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** Size for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT; referenced type for PTR/TYPEDEF/qualifiers/VAR/FUNC. */
  sizeOrType: number;
  int?: { signed: boolean; bool: boolean; bits: number; offset: number };
  array?: { type: number; length: number };
  members?: BtfMember[];
  /** ENUM members (values signed when the enum is, by kind_flag). */
  enumerators?: { name: string; value: number }[];
  /** DATASEC entries. */
  vars?: { type: number; offset: number; size: number }[];
}

export class Btf {
  readonly types: BtfType[] = [];
  /** The string at `offset` of the string section (names, and the source lines of .BTF.ext line info). */
  readonly string: (offset: number) => string;

  constructor(raw: Uint8Array) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (raw.byteLength < 24 || view.getUint16(0, true) !== 0xeb9f) throw new Error("not BTF data (bad magic)");
    const hdrLen = view.getUint32(4, true);
    const typeOff = hdrLen + view.getUint32(8, true);
    const typeLen = view.getUint32(12, true);
    const strOff = hdrLen + view.getUint32(16, true);
    const strLen = view.getUint32(20, true);
    if (typeOff + typeLen > raw.byteLength || strOff + strLen > raw.byteLength) throw new Error("truncated BTF data");
    const decoder = new TextDecoder();
    const str = (off: number) => {
      if (off >= strLen) return "";
      let end = strOff + off;
      while (end < strOff + strLen && raw[end] !== 0) end++;
      return decoder.decode(raw.subarray(strOff + off, end));
    };
    this.string = str;
    let p = typeOff;
    const u32 = () => {
      if (p + 4 > typeOff + typeLen) throw new Error("truncated BTF type section");
      const v = view.getUint32(p, true);
      p += 4;
      return v;
    };
    this.types.push({ id: 0, kind: 0, name: "void", sizeOrType: 0 });
    while (p < typeOff + typeLen) {
      const name = str(u32());
      const info = u32();
      const sizeOrType = u32();
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const kindFlag = info >>> 31 === 1;
      const t: BtfType = { id: this.types.length, kind, name, sizeOrType };
      switch (kind) {
        case BtfKind.INT: {
          const e = u32();
          t.int = { signed: ((e >>> 24) & 1) === 1, bool: ((e >>> 24) & 4) === 4, offset: (e >>> 16) & 0xff, bits: e & 0xff };
          break;
        }
        case BtfKind.ARRAY: {
          const type = u32();
          u32();
          t.array = { type, length: u32() };
          break;
        }
        case BtfKind.STRUCT:
        case BtfKind.UNION:
          t.members = [];
          for (let i = 0; i < vlen; i++) {
            const memberName = str(u32());
            const type = u32();
            const offset = u32();
            t.members.push(
              kindFlag
                ? { name: memberName, type, bitOffset: offset & 0xffffff, bitSize: offset >>> 24 }
                : { name: memberName, type, bitOffset: offset, bitSize: 0 },
            );
          }
          break;
        case BtfKind.ENUM:
          t.enumerators = [];
          for (let i = 0; i < vlen; i++) {
            const enumeratorName = str(u32());
            const value = u32();
            t.enumerators.push({ name: enumeratorName, value: kindFlag ? value | 0 : value });
          }
          break;
        case BtfKind.ENUM64:
          p += vlen * 12;
          break;
        case BtfKind.FUNC_PROTO:
          p += vlen * 8;
          break;
        case BtfKind.VAR:
        case BtfKind.DECL_TAG:
          p += 4;
          break;
        case BtfKind.DATASEC:
          t.vars = [];
          for (let i = 0; i < vlen; i++) t.vars.push({ type: u32(), offset: u32(), size: u32() });
          break;
      }
      this.types.push(t);
    }
  }

  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new Error(`BTF has no type ${id}`);
    return t;
  }

  /** Skips const/volatile/restrict/type tags (typedefs are kept: they carry byte order). */
  unqualified(id: number): BtfType {
    let t = this.type(id);
    for (
      let i = 0;
      i < 64 && (t.kind === BtfKind.CONST || t.kind === BtfKind.VOLATILE || t.kind === BtfKind.RESTRICT || t.kind === BtfKind.TYPE_TAG);
      i++
    )
      t = this.type(t.sizeOrType);
    return t;
  }

  sizeOf(id: number): number {
    for (let i = 0, t = this.type(id); i < 64; i++, t = this.type(t.sizeOrType)) {
      switch (t.kind) {
        case BtfKind.INT:
        case BtfKind.STRUCT:
        case BtfKind.UNION:
        case BtfKind.ENUM:
        case BtfKind.ENUM64:
        case BtfKind.DATASEC:
        case BtfKind.FLOAT:
          return t.sizeOrType;
        case BtfKind.PTR:
          return 8;
        case BtfKind.ARRAY:
          return t.array!.length * this.sizeOf(t.array!.type);
        case BtfKind.TYPEDEF:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG:
        case BtfKind.VAR:
          continue;
        default:
          return 0;
      }
    }
    return 0;
  }

  findByName(kind: number, name: string): BtfType | undefined {
    return this.types.find((t) => t.kind === kind && t.name === name);
  }
}
