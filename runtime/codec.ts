// Codecs between JavaScript values and the bytes of map keys, values and globals, built
// from BTF: 8–32-bit integers ↔ number, 64-bit ↔ bigint, network-order typedefs
// (__be16/__be32/__be64, be16/…) ↔ host-order numbers, structs ↔ plain objects with the
// source's field names (bit fields included), u8 arrays ↔ Uint8Array, other arrays ↔ arrays.
import { Btf, BtfKind } from "./btf.js";
import type { LayoutSpec } from "./layout-spec.js";
import { malformedBtf } from "./errors.js";

export type { LayoutSpec };

export interface Codec<T = unknown> {
  readonly size: number;
  /** What the value looks like, for error messages. */
  readonly describe: string;
  read(view: DataView, offset: number): T;
  write(view: DataView, offset: number, value: T): void;
  /** Set on plain integer codecs: lets map batches use typed arrays (see integerLane). */
  readonly integer?: { readonly bits: 8 | 16 | 32 | 64; readonly signed: boolean; readonly littleEndian: boolean };
}

export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const bytes = new Uint8Array(codec.size);
  codec.write(new DataView(bytes.buffer), 0, value);
  return bytes;
}

export function decode<T>(codec: Codec<T>, bytes: Uint8Array, offset = 0): T {
  return codec.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset);
}

const bigEndianTypedefs = new Map([
  ["__be16", 16],
  ["be16", 16],
  ["__be32", 32],
  ["be32", 32],
  ["__be64", 64],
  ["be64", 64],
]);

function integerCodec(bits: 8 | 16 | 32 | 64, signed: boolean, littleEndian: boolean, name: string): Codec<number | bigint> {
  const size = bits / 8;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const minNumber = Number(min);
  const maxNumber = Number(max);
  const fail = (value: unknown): never => {
    if (typeof value !== "number" && typeof value !== "bigint")
      throw new TypeError(`expected ${name} (a ${bits === 64 ? "bigint" : "number"}), got ${describeValue(value)}`);
    if (typeof value === "number" && !Number.isInteger(value)) throw new TypeError(`expected an integer for ${name}, got ${value}`);
    throw new RangeError(`${value} does not fit ${name}`);
  };
  // Numbers up to 32 bits stay numbers (no BigInt on the hot path of map operations).
  const checkNumber = (value: unknown): number =>
    typeof value === "number" && Number.isInteger(value) && value >= minNumber && value <= maxNumber
      ? value
      : typeof value === "bigint" && value >= min && value <= max
        ? Number(value)
        : fail(value);
  // asUintN/asIntN round-trips are cheaper than two BigInt comparisons.
  const checkBig = (value: unknown): bigint => {
    const v = typeof value === "bigint" ? value : typeof value === "number" && Number.isInteger(value) ? BigInt(value) : fail(value);
    return (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v)) === v ? v : fail(value);
  };
  return {
    size,
    describe: name,
    integer: { bits, signed, littleEndian },
    read(view, offset) {
      switch (bits) {
        case 8:
          return signed ? view.getInt8(offset) : view.getUint8(offset);
        case 16:
          return signed ? view.getInt16(offset, littleEndian) : view.getUint16(offset, littleEndian);
        case 32:
          return signed ? view.getInt32(offset, littleEndian) : view.getUint32(offset, littleEndian);
        default:
          return signed ? view.getBigInt64(offset, littleEndian) : view.getBigUint64(offset, littleEndian);
      }
    },
    write(view, offset, value) {
      switch (bits) {
        case 8:
          return view.setUint8(offset, checkNumber(value) & 0xff);
        case 16:
          return view.setUint16(offset, checkNumber(value) & 0xffff, littleEndian);
        case 32:
          return view.setUint32(offset, checkNumber(value) >>> 0, littleEndian);
        default:
          return signed
            ? view.setBigInt64(offset, checkBig(value), littleEndian)
            : view.setBigUint64(offset, checkBig(value), littleEndian);
      }
    },
  };
}

export function rawCodec(size: number): Codec<Uint8Array> {
  return {
    size,
    describe: `${size} bytes`,
    read: (view, offset) => new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + size)),
    write(view, offset, value) {
      // Exactly `size` bytes: a shorter array would be zero-padded into a different key or value.
      if (!(value instanceof Uint8Array)) throw new TypeError(`expected a Uint8Array of ${size} bytes, got ${describeValue(value)}`);
      if (value.length !== size) throw new RangeError(`expected a Uint8Array of ${size} bytes, got ${value.length} bytes`);
      new Uint8Array(view.buffer, view.byteOffset + offset, size).set(value);
    },
  };
}

const booleanCodec: Codec<boolean> = {
  size: 1,
  describe: "boolean",
  read: (view, offset) => view.getUint8(offset) !== 0,
  // Only true and false: truthiness would store the string "false" as true.
  write(view, offset, value) {
    if (typeof value !== "boolean") throw new TypeError(`expected a boolean (true or false), got ${describeValue(value)}`);
    view.setUint8(offset, value ? 1 : 0);
  },
};

/** What a wrong value was, for error messages: its type, and short values themselves. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  if (typeof value === "bigint") return `bigint ${value}n`;
  return typeof value === "object" ? "an object" : typeof value;
}

/**
 * A codec for BTF type `id` (undefined BTF: raw bytes of `fallbackSize`). BTF that does not
 * hold together is a BpfError EINVAL naming `what` uses the type.
 */
export function codecFor(btf: Btf | undefined, id: number, fallbackSize: number, what = `BTF type ${id}`): Codec {
  if (!btf || id === 0) return rawCodec(fallbackSize);
  let codec: Codec;
  try {
    codec = build(btf, id, 0);
  } catch (error) {
    throw malformedBtf(error, what);
  }
  return codec.size === fallbackSize || fallbackSize === 0 ? codec : rawCodec(fallbackSize);
}

function build(btf: Btf, id: number, depth: number): Codec {
  if (depth > 32) throw new Error("BTF type nesting too deep");
  const t = btf.type(id);
  switch (t.kind) {
    case BtfKind.TYPEDEF: {
      const order = bigEndianTypedefs.get(t.name);
      const target = btf.unqualified(t.sizeOrType);
      if (order && target.kind === BtfKind.INT && target.int!.bits === order)
        return integerCodec(order as 16 | 32 | 64, false, false, t.name.replace(/^__/, ""));
      return build(btf, t.sizeOrType, depth + 1);
    }
    case BtfKind.CONST:
    case BtfKind.VOLATILE:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
    case BtfKind.VAR:
      return build(btf, t.sizeOrType, depth + 1);
    case BtfKind.INT: {
      const { bits, signed, bool } = t.int!;
      if (bool) return booleanCodec;
      if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) return rawCodec(t.sizeOrType);
      return integerCodec(bits, signed, true, `${signed ? "i" : "u"}${bits}`);
    }
    case BtfKind.ENUM: {
      const bits = t.sizeOrType * 8;
      if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) return rawCodec(t.sizeOrType);
      return integerCodec(bits, false, true, t.name || "enum");
    }
    case BtfKind.PTR:
      return integerCodec(64, false, true, "pointer");
    case BtfKind.ARRAY: {
      const { type, length } = t.array!;
      // Byte arrays are Uint8Array whether the element is spelled u8, __u8 or unsigned char
      // (C's __u8 is a typedef: look through typedefs and qualifiers).
      let element = btf.unqualified(type);
      for (let i = 0; i < 16 && element.kind === BtfKind.TYPEDEF; i++) element = btf.unqualified(element.sizeOrType);
      if (element.kind === BtfKind.INT && element.int!.bits === 8 && !element.int!.bool) return rawCodec(length);
      const codec = build(btf, type, depth + 1);
      return arrayCodec(codec, length);
    }
    case BtfKind.STRUCT:
    case BtfKind.UNION:
      return structCodec(btf, t.members!, t.sizeOrType, t.name, depth);
    default:
      return rawCodec(btf.sizeOf(id));
  }
}

function arrayCodec(element: Codec, length: number): Codec<unknown[]> {
  return {
    size: element.size * length,
    describe: `${element.describe}[${length}]`,
    read: (view, offset) => Array.from({ length }, (_, i) => element.read(view, offset + i * element.size)),
    write(view, offset, value) {
      if (!Array.isArray(value)) throw new TypeError(`expected an array of ${length} ${element.describe}, got ${describeValue(value)}`);
      if (value.length !== length) throw new RangeError(`expected an array of ${length} ${element.describe}, got ${value.length} elements`);
      for (let i = 0; i < length; i++) {
        try {
          element.write(view, offset + i * element.size, value[i]);
        } catch (error) {
          throw rethrown(`element ${i}`, error);
        }
      }
    },
  };
}

type FieldCodec = { name: string; offset: number; codec?: Codec; bitfield?: ReturnType<typeof bitfieldCodec> };

function structCodec(
  btf: Btf,
  members: { name: string; type: number; bitOffset: number; bitSize: number }[],
  size: number,
  name: string,
  depth: number,
): Codec<Record<string, unknown>> {
  const fields: FieldCodec[] = members.map((m) => {
    if (m.bitSize) return { name: m.name, bitfield: bitfieldCodec(m.bitOffset, m.bitSize), offset: 0 };
    return { name: m.name, codec: build(btf, m.type, depth + 1), offset: m.bitOffset / 8 };
  });
  return structFromFields(fields, size, name);
}

/** `error` (TypeError or RangeError, kept) with `where` in front of its message. */
function rethrown(where: string, error: unknown): Error {
  const message = `${where}: ${(error as Error)?.message ?? String(error)}`;
  return error instanceof RangeError ? new RangeError(message) : new TypeError(message);
}

function structFromFields(fields: FieldCodec[], size: number, name: string): Codec<Record<string, unknown>> {
  const fieldNames = new Set(fields.map((f) => f.name));
  const title = `struct ${name || "(anonymous)"}`;
  return {
    size,
    describe: name || "struct",
    read(view, offset) {
      const out: Record<string, unknown> = {};
      for (const f of fields) out[f.name] = f.bitfield ? f.bitfield.read(view, offset) : f.codec!.read(view, offset + f.offset);
      return out;
    },
    write(view, offset, value) {
      if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array)
        throw new TypeError(`expected an object for ${title}, got ${describeValue(value)}`);
      const record = value as Record<string, unknown>;
      let written = 0;
      for (const f of fields) {
        const v = record[f.name];
        if (v === undefined) continue; // absent fields stay zero
        written++;
        try {
          if (f.bitfield) f.bitfield.write(view, offset, v);
          else f.codec!.write(view, offset + f.offset, v);
        } catch (error) {
          throw rethrown(`field '${f.name}' of ${title}`, error);
        }
      }
      // A field the struct does not have is a typo ({ prot: 80 } for proto), not a field to skip.
      let given = 0;
      for (const key in record) if (record[key] !== undefined) given++;
      if (given !== written) {
        const unknown = Object.keys(record).filter((key) => !fieldNames.has(key) && record[key] !== undefined);
        throw new TypeError(
          `${title} has no field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")} (its fields: ${[...fieldNames].join(", ")})`,
        );
      }
    },
  };
}

function bitfieldCodec(bitOffset: number, bitSize: number) {
  const mask = (1n << BigInt(bitSize)) - 1n;
  const firstByte = Math.floor(bitOffset / 8);
  const shift = BigInt(bitOffset % 8);
  const bytes = Math.ceil(((bitOffset % 8) + bitSize) / 8);
  const load = (view: DataView, offset: number) => {
    let word = 0n;
    for (let i = bytes - 1; i >= 0; i--) word = (word << 8n) | BigInt(view.getUint8(offset + firstByte + i));
    return word;
  };
  return {
    read: (view: DataView, offset: number) => Number((load(view, offset) >> shift) & mask),
    write(view: DataView, offset: number, value: unknown) {
      if (typeof value !== "number") throw new TypeError(`expected a number for a ${bitSize}-bit field, got ${describeValue(value)}`);
      if (!Number.isInteger(value) || value < 0 || BigInt(value) > mask) throw new RangeError(`${value} does not fit ${bitSize} bits`);
      let word = (load(view, offset) & ~(mask << shift)) | (BigInt(value) << shift);
      for (let i = 0; i < bytes; i++, word >>= 8n) view.setUint8(offset + firstByte + i, Number(word & 0xffn));
    },
  };
}

export function codecFromLayout(spec: LayoutSpec): Codec {
  switch (spec.kind) {
    case "int":
      return integerCodec(spec.bits, spec.signed, !spec.be, `${spec.be ? "be" : spec.signed ? "i" : "u"}${spec.bits}`);
    case "bool":
      return booleanCodec;
    case "array":
      if (spec.element.kind === "int" && spec.element.bits === 8) return rawCodec(spec.length);
      return arrayCodec(codecFromLayout(spec.element), spec.length);
    case "struct": {
      const fields = spec.fields.map((f) =>
        f.bits !== undefined
          ? { name: f.name, bitfield: bitfieldCodec(f.offset * 8 + (f.bitOffset ?? 0), f.bits), offset: 0 }
          : { name: f.name, codec: codecFromLayout(f.type), offset: f.offset },
      );
      return structFromFields(fields, spec.size, spec.name);
    }
  }
}

/**
 * Element `i` of a buffer of packed integers, read and written through a typed array instead
 * of a DataView (map batches: one lane per buffer). `write` returns false for anything but
 * the plain in-range value (a number, or a bigint for 64 bits): the caller then takes the
 * codec's own path, which converts or throws the codec's error. Undefined when the codec is
 * not a plain integer filling the whole stride, or the byte order needs a DataView.
 */
export interface IntegerLane {
  read(index: number): number | bigint;
  write(index: number, value: unknown): boolean;
}

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function integerLane(codec: Codec, bytes: Uint8Array, stride: number): IntegerLane | undefined {
  const int = codec.integer;
  if (!int || codec.size !== stride || bytes.byteOffset % stride !== 0) return undefined;
  const { buffer, byteOffset } = bytes;
  const length = Math.floor(bytes.byteLength / stride);
  if (int.littleEndian !== hostLittleEndian) {
    // Network-order 16/32-bit fields: swap in JavaScript (cheaper than a DataView per element).
    if (int.bits === 16) {
      const a = new Uint16Array(buffer, byteOffset, length);
      return {
        read: (i) => ((a[i]! & 0xff) << 8) | (a[i]! >>> 8),
        write: (i, v) => (typeof v === "number" && (v & 0xffff) === v ? ((a[i] = ((v & 0xff) << 8) | (v >>> 8)), true) : false),
      };
    }
    if (int.bits === 32) {
      const a = new Uint32Array(buffer, byteOffset, length);
      const swap = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
      return { read: (i) => swap(a[i]!), write: (i, v) => (typeof v === "number" && v >>> 0 === v ? ((a[i] = swap(v)), true) : false) };
    }
    return undefined;
  }
  switch (int.bits) {
    case 8: {
      if (int.signed) {
        const a = new Int8Array(buffer, byteOffset, length);
        return { read: (i) => a[i]!, write: (i, v) => (typeof v === "number" && (v << 24) >> 24 === v ? ((a[i] = v), true) : false) };
      }
      const a = new Uint8Array(buffer, byteOffset, length);
      return { read: (i) => a[i]!, write: (i, v) => (typeof v === "number" && (v & 0xff) === v ? ((a[i] = v), true) : false) };
    }
    case 16: {
      if (int.signed) {
        const a = new Int16Array(buffer, byteOffset, length);
        return { read: (i) => a[i]!, write: (i, v) => (typeof v === "number" && (v << 16) >> 16 === v ? ((a[i] = v), true) : false) };
      }
      const a = new Uint16Array(buffer, byteOffset, length);
      return { read: (i) => a[i]!, write: (i, v) => (typeof v === "number" && (v & 0xffff) === v ? ((a[i] = v), true) : false) };
    }
    case 32: {
      if (int.signed) {
        const a = new Int32Array(buffer, byteOffset, length);
        return { read: (i) => a[i]!, write: (i, v) => (typeof v === "number" && (v | 0) === v ? ((a[i] = v), true) : false) };
      }
      const a = new Uint32Array(buffer, byteOffset, length);
      return { read: (i) => a[i]!, write: (i, v) => (typeof v === "number" && v >>> 0 === v ? ((a[i] = v), true) : false) };
    }
    case 64: {
      if (int.signed) {
        const a = new BigInt64Array(buffer, byteOffset, length);
        return { read: (i) => a[i]!, write: (i, v) => (typeof v === "bigint" && BigInt.asIntN(64, v) === v ? ((a[i] = v), true) : false) };
      }
      const a = new BigUint64Array(buffer, byteOffset, length);
      return { read: (i) => a[i]!, write: (i, v) => (typeof v === "bigint" && BigInt.asUintN(64, v) === v ? ((a[i] = v), true) : false) };
    }
  }
}
