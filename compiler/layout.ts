// C layout of structs declared as interfaces: natural alignment and padding as a C
// compiler for BPF would lay them out, bit fields (`/** @bits N */`) packed LSB-first into
// storage units of their declared type (GCC's little-endian rule), `/** @packed */` for
// no padding. The same layouts feed field access, BTF debug types and the skeleton.
import ts from "#typescript";
import { Diagnostics, makeDiagnostic, type TsxDiagnostic } from "./diagnostics.js";
import { isStdlibFile } from "./frontend.js";
import {
  type ArrayLayout,
  type FieldDisplay,
  type FieldLayout,
  type FieldType,
  type StructLayout,
  fieldAlign,
  fieldSize,
  intFromType,
  isBooleanType,
  stdlibName,
  typeArguments,
} from "./types.js";

/**
 * The largest struct or FixedArray: a map value beyond about 4 MiB (KMALLOC_MAX_SIZE) is
 * E2BIG when the map is created, long after `check` accepted the type.
 */
export const maxTypeBytes = 1 << 20;
const maxAlign = 4096;

export class Layouts {
  private readonly structs = new Map<ts.Type, StructLayout | undefined>();

  private reported = 0;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly report: (d: TsxDiagnostic) => void,
  ) {}

  private error(d: TsxDiagnostic): void {
    this.reported++;
    this.report(d);
  }

  /** The layout of a struct (interface) or FixedArray type; undefined when it has none. */
  layoutOf(type: ts.Type, at: ts.Node): StructLayout | ArrayLayout | undefined {
    const field = this.fieldTypeOf(type, at, "value");
    if (field?.kind === "struct") return field.struct;
    if (field?.kind === "array") return field.array;
    return undefined;
  }

  /** The members of the enum a field is declared with (undefined: not an enum). */
  private enumDisplay(type: ts.Type): FieldDisplay | undefined {
    const declaration = (type.symbol ?? type.aliasSymbol)?.declarations?.find(ts.isEnumDeclaration);
    if (!declaration || (isStdlibFile(declaration.getSourceFile()) && declaration.name.text !== "XDP")) return undefined;
    const members = declaration.members.map((m) => [m.name.getText(), this.checker.getConstantValue(m)] as const);
    if (!members.every((m): m is readonly [string, number] => typeof m[1] === "number")) return undefined;
    return { enum: declaration.name.text, members };
  }

  fieldTypeOf(type: ts.Type, at: ts.Node, fieldName: string, isElement = false): FieldType | undefined {
    const int = intFromType(type, this.checker);
    if (int) {
      const display = this.enumDisplay(type) ?? (isElement ? undefined : addressDisplay(at));
      return display ? { kind: "int", int, display } : { kind: "int", int };
    }
    if (isBooleanType(type)) return { kind: "bool" };
    if (stdlibName(type) === "FixedArray") {
      const [element, length] = typeArguments(type, this.checker);
      const elementType = element && this.fieldTypeOf(element, at, fieldName, true);
      if (!elementType || !length || !length.isNumberLiteral()) {
        this.error(makeDiagnostic(Diagnostics.StructFieldType, at, fieldName, this.checker.typeToString(type)));
        return undefined;
      }
      const n = length.value;
      const size = fieldSize(elementType) * n;
      if (!Number.isInteger(n) || n < 1 || size > maxTypeBytes) {
        this.error(makeDiagnostic(Diagnostics.FixedArrayLength, at, n, maxTypeBytes));
        return undefined;
      }
      const array = {
        kind: "array",
        element: elementType,
        length: n,
        size: fieldSize(elementType) * n,
        align: fieldAlign(elementType),
      } as const;
      const display = isElement ? undefined : addressDisplay(at);
      return display ? { kind: "array", array, display } : { kind: "array", array };
    }
    if (type.flags & ts.TypeFlags.Object && !type.getCallSignatures().length && (type.getSymbol()?.flags ?? 0) & ts.SymbolFlags.Interface) {
      const struct = this.structOf(type, at);
      return struct && { kind: "struct", struct };
    }
    return undefined;
  }

  private structOf(type: ts.Type, at: ts.Node): StructLayout | undefined {
    if (this.structs.has(type)) return this.structs.get(type);
    this.structs.set(type, undefined); // a self-containing struct ends here, reported below
    const symbol = type.getSymbol()!;
    const decl = symbol.declarations?.find(ts.isInterfaceDeclaration);
    const packed = decl ? ts.getJSDocTags(decl).some((t) => t.tagName.text === "packed") : false;
    const fields: FieldLayout[] = [];
    let bitPos = 0;
    let align = 1;
    for (const prop of this.checker.getPropertiesOfType(type)) {
      if (prop.getName().startsWith("__@")) continue;
      const propDecl = prop.declarations?.[0];
      const where = propDecl ?? at;
      // An optional field (padding the user need not spell out) has the same layout.
      const propType = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(prop));
      const reportedBefore = this.reported;
      const ft = this.fieldTypeOf(propType, where, prop.getName());
      if (!ft) {
        // One error per field: a FixedArray's own (its length) says more than this one.
        if (this.reported === reportedBefore)
          this.error(makeDiagnostic(Diagnostics.StructFieldType, where, prop.getName(), this.checker.typeToString(propType)));
        continue;
      }
      const bits = propDecl ? bitsTag(propDecl) : undefined;
      if (bits !== undefined) {
        if (ft.kind !== "int" || ft.int.signed || ft.int.be || bits < 1 || bits > ft.int.bits) {
          this.error(makeDiagnostic(Diagnostics.BitFieldType, where, prop.getName()));
          continue;
        }
        const unit = ft.int.bits;
        let unitStart = Math.floor(bitPos / unit) * unit;
        if (bitPos + bits > unitStart + unit) {
          bitPos = unitStart + unit;
          unitStart = bitPos;
        }
        fields.push({
          name: prop.getName(),
          offset: unitStart / 8,
          type: ft,
          bitField: { storage: ft.int, bitOffset: bitPos - unitStart, bits },
        });
        bitPos += bits;
        if (!packed) align = Math.max(align, unit / 8);
        continue;
      }
      const fa = packed ? 1 : fieldAlign(ft);
      let offset = Math.ceil(bitPos / 8);
      offset = Math.ceil(offset / fa) * fa;
      fields.push({ name: prop.getName(), offset, type: ft });
      bitPos = (offset + fieldSize(ft)) * 8;
      align = Math.max(align, fa);
    }
    // `/** @align N */` on the interface: C's __attribute__((aligned(N))), for a struct whose
    // C twin is more aligned than its fields say (struct ipv6hdr: its in6_addr are 4-aligned).
    const alignTag = decl ? numberTag(decl, "align") : undefined;
    if (alignTag !== undefined && alignTag > 0 && alignTag <= maxAlign && (alignTag & (alignTag - 1)) === 0)
      align = Math.max(align, alignTag);
    else if (alignTag !== undefined)
      this.error(makeDiagnostic(Diagnostics.AlignTag, decl!.name, alignTag < 0 ? "not a number" : alignTag, maxAlign));
    let size = Math.ceil(bitPos / 8);
    size = Math.ceil(size / align) * align;
    if (size > maxTypeBytes) {
      this.error(makeDiagnostic(Diagnostics.TypeTooLarge, decl?.name ?? at, symbol.getName(), size, maxTypeBytes));
      return undefined;
    }
    const layout: StructLayout = { kind: "struct", name: symbol.getName(), size, align, fields, packed, declaration: decl };
    this.structs.set(type, layout);
    return layout;
  }
}

function bitsTag(decl: ts.Declaration): number | undefined {
  return numberTag(decl, "bits");
}

function numberTag(decl: ts.Declaration, name: string): number | undefined {
  for (const tag of ts.getJSDocTags(decl)) {
    if (tag.tagName.text !== name) continue;
    const text = typeof tag.comment === "string" ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? "");
    const n = Number.parseInt(text.trim(), 10);
    return Number.isFinite(n) ? n : -1;
  }
  return undefined;
}

/** A field's `@display ipv4|ipv6|mac` JSDoc tag (how tsxdp maps shows its value). */
function addressDisplay(at: ts.Node): FieldDisplay | undefined {
  if (!ts.isPropertySignature(at)) return undefined;
  const tag = ts.getJSDocTags(at).find((t) => t.tagName.text === "display");
  const text = typeof tag?.comment === "string" ? tag.comment.trim() : undefined;
  return text === "ipv4" || text === "ipv6" || text === "mac" ? { address: text } : undefined;
}
