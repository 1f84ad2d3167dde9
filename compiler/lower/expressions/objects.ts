// Struct values on the stack: an object literal becomes a zero-filled stack slot (padding
// included, so a map key never carries uninitialised bytes — the verifier rejects reads of
// uninitialised stack) with each given field stored into it.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import type { StructLayout, Ty } from "../../types.js";
import { type FunctionState, type Value, viewAlign, alignAt } from "../context.js";
import { convertImplicit } from "../integers.js";
import { allocateStruct, copyBytes, fieldTy, offsetPointer, store } from "../places.js";

export function lowerObjectLiteralValue(fs: FunctionState, node: ts.ObjectLiteralExpression, expected?: Ty): Value {
  if (!expected || expected.kind !== "view" || expected.layout.kind !== "struct") {
    fs.error(Diagnostics.ObjectLiteralNeedsType, node);
    return { ty: { kind: "null" }, ir: "null" };
  }
  const ptr = allocateStruct(fs, expected.layout);
  fillStruct(fs, node, expected.layout, ptr);
  return { ty: { kind: "view", layout: expected.layout, nullable: false }, ir: ptr, align: Math.max(expected.layout.align, 8) };
}

function fillStruct(fs: FunctionState, node: ts.ObjectLiteralExpression, layout: StructLayout, ptr: string): void {
  for (const property of node.properties) {
    if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) {
      fs.error(Diagnostics.UnsupportedSyntax, property, "This kind of object member");
      continue;
    }
    const name = property.name.getText();
    const field = layout.fields.find((f) => f.name === name);
    if (!field) {
      fs.error(Diagnostics.UnknownField, property, layout.name, name);
      continue;
    }
    const init = ts.isPropertyAssignment(property) ? property.initializer : property.name;
    const fieldPtr = offsetPointer(fs, ptr, field.offset);
    if (field.type.kind === "struct" && ts.isObjectLiteralExpression(init)) {
      fillStruct(fs, init, field.type.struct, fieldPtr);
      continue;
    }
    if (field.type.kind === "struct" || field.type.kind === "array") {
      // A struct or array field initialised from another view is copied by value, as in C.
      const source = fs.lowerExpression(init, fieldTy(field.type));
      const expectedLayout = field.type.kind === "struct" ? field.type.struct : field.type.array;
      if (source.ty.kind !== "view" || source.ty.layout.size !== expectedLayout.size || source.ty.nullable) {
        fs.error(Diagnostics.StructCopy, init);
        continue;
      }
      copyBytes(
        fs,
        fieldPtr,
        source.ir,
        expectedLayout.size,
        Math.min(alignAt(Math.max(layout.align, 8), field.offset), viewAlign(source)),
      );
      continue;
    }
    const value = convertImplicit(fs, fs.lowerExpression(init, fieldTy(field.type)), fieldTy(field.type), init);
    store(fs, { kind: "memory", ptr: fieldPtr, field: field.type, bitField: field.bitField, name }, value, init);
  }
}
