// The names a BPF object exports: programs, maps, globals and configs become ELF symbols,
// BTF names, kernel object names and skeleton fields. The kernel takes only C identifiers
// (btf_name_valid_identifier: ASCII, at most KSYM_NAME_LEN - 1 characters), LLVM refuses a
// symbol named like a section the object defines ("xdp", "license") or the license symbol,
// and two files of one object must not both define a name. Checked while lowering, so
// `tsxdp check` reports what LLVM or the kernel would otherwise refuse later.
import type ts from "typescript";
import { Diagnostics } from "../diagnostics.js";
import type { Reporter } from "./context.js";

export const maxObjectNameLength = 511;

const reserved: Record<string, string> = {
  xdp: "the section of its programs",
  license: "the section of its license",
  _license: "its license string",
};

export interface ObjectName {
  readonly name: string;
  /** "program", "map", "global" or "config". */
  readonly what: string;
  readonly node: ts.Node;
}

export function checkObjectNames(reporter: Reporter, names: readonly ObjectName[]): void {
  const seen = new Map<string, ObjectName>();
  for (const entry of names) {
    const { name, what, node } = entry;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.length > maxObjectNameLength)
      reporter.error(Diagnostics.ObjectNameInvalid, node, name, what, maxObjectNameLength);
    else if (Object.hasOwn(reserved, name)) reporter.error(Diagnostics.ObjectNameReserved, node, name, what, reserved[name]!);
    const first = seen.get(name);
    if (first) reporter.error(Diagnostics.ObjectNameTwice, node, name, first.what, what);
    else seen.set(name, entry);
  }
}

/** A helper's name as an (internal) LLVM and BTF function name: C identifier characters only. */
export function helperSymbolBase(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_");
}
