// The layout contract between the compiler and the runtime: the compiler's skeleton
// generator writes it (for ring buffer records, which BTF does not describe) and the
// runtime builds a codec from it (codec.ts). Types only, so either side imports it
// without loading the other.

/** A value's memory layout described without BTF. */
export type LayoutSpec =
  | { kind: "int"; bits: 8 | 16 | 32 | 64; signed: boolean; be?: boolean }
  | { kind: "bool" }
  | { kind: "array"; element: LayoutSpec; length: number }
  | {
      kind: "struct";
      name: string;
      size: number;
      fields: { name: string; offset: number; type: LayoutSpec; bitOffset?: number; bits?: number }[];
    };
