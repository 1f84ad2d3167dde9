// Decoded map values as a reader wants them, guided by the BTF type they were decoded with:
// enum members by name (`Established (3)`), fields the program declared as addresses
// (`@display ipv4|ipv6|mac`, BTF typedefs tsxdp_ipv4/…) as addresses,
// structs as `{ field: … }`; the rest as the caller's plain formatter says. Used by `tsxdp maps`.
import { type Btf, BtfKind } from "./btf.js";
import { formatIpv6, formatMac } from "./packets/addresses.js";
import { formatIpv4 } from "./xdp.js";

/**
 * `value` (as the codec of BTF type `typeId` decoded it) in words; what the BTF does not
 * describe (no BTF, integers, bytes) is left to `plain`.
 */
export function formatTyped(btf: Btf | undefined, typeId: number, value: unknown, plain: (v: unknown) => string, depth = 0): string {
  const t = btf && typeId && depth < 32 ? btf.type(typeId) : undefined;
  if (t) {
    switch (t.kind) {
      case BtfKind.TYPEDEF: {
        const address = /^tsxdp_(ipv4|ipv6|mac)$/.exec(t.name)?.[1];
        if (address) return formatAddress(address, value) ?? formatTyped(btf, t.sizeOrType, value, plain, depth + 1);
        return formatTyped(btf, t.sizeOrType, value, plain, depth + 1);
      }
      case BtfKind.CONST:
      case BtfKind.VOLATILE:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        return formatTyped(btf, t.sizeOrType, value, plain, depth + 1);
      case BtfKind.ENUM: {
        const member = t.enumerators?.find((e) => e.value === Number(value));
        return member ? `${member.name} (${String(value)})` : String(value);
      }
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        if (value && typeof value === "object" && !(value instanceof Uint8Array) && !Array.isArray(value)) {
          const fields = t
            .members!.filter((m) => m.name in value)
            .map((m) => `${m.name}: ${formatTyped(btf, m.type, (value as Record<string, unknown>)[m.name], plain, depth + 1)}`);
          return `{ ${fields.join(", ")} }`;
        }
        break;
      case BtfKind.ARRAY:
        if (Array.isArray(value)) return `[${value.map((v) => formatTyped(btf, t.array!.type, v, plain, depth + 1)).join(", ")}]`;
        break;
    }
  }
  return plain(value);
}

function formatAddress(kind: string, value: unknown): string | undefined {
  if (kind === "ipv4" && typeof value === "number") return formatIpv4(value);
  if (kind === "ipv4" && value instanceof Uint8Array && value.length === 4) return [...value].join(".");
  if (kind === "ipv6" && value instanceof Uint8Array && value.length === 16) return formatIpv6(value);
  if (kind === "mac" && value instanceof Uint8Array && value.length === 6) return formatMac(value);
  return undefined;
}
