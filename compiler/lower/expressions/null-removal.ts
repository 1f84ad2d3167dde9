// `view!` and `view as T` on a value that may be null (a packet view, a map lookup, a Ref):
// TypeScript drops the null without emitting a check, so the program would use a pointer
// the verifier knows may be null or past data_end ("R1 offset is outside of the packet",
// "invalid mem access 'map_value_or_null'") and the kernel would refuse it at load. Reported
// here, with the check to write instead, so the editor and `tsxdp check` say it first.
import ts from "#typescript";
import { Diagnostics } from "../../diagnostics.js";
import type { FunctionState } from "../context.js";

const mayBeNull = (type: ts.Type): boolean =>
  (type.flags & ts.TypeFlags.Null) !== 0 || (type.isUnion() && type.types.some((t) => (t.flags & ts.TypeFlags.Null) !== 0));

export function reportNullRemoval(fs: FunctionState, node: ts.NonNullExpression | ts.AsExpression): void {
  if (!mayBeNull(fs.checker.getTypeAtLocation(node.expression))) return;
  if (ts.isAsExpression(node) && mayBeNull(fs.checker.getTypeFromTypeNode(node.type))) return;
  fs.error(Diagnostics.NullRemoved, node, ts.isNonNullExpression(node) ? "A non-null assertion (!)" : "A cast", node.expression.getText());
}
