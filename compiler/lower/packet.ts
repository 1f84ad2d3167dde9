// Packet access through the context: the xdp_md fields (`ctx.len`, `ctx.ingressIfindex`, …),
// data/data_end kept per function, `ctx.header<T>(offset)` and the calls that move packet
// data. The bounds check is emitted in the shape the verifier understands: a packet pointer
// plus a constant compared against data_end marks that many bytes safe.
import ts from "#typescript";
import { Diagnostics } from "../diagnostics.js";
import { BoolTy, Int, intTy, llInt } from "../types.js";
import { type FunctionState, type Value, constValue } from "./context.js";
import { convertImplicit } from "./integers.js";
import { offsetPointer } from "./places.js";
import { BpfHelper, callHelper } from "./bpf-helpers.js";

/** Offsets of struct xdp_md fields. */
export const XdpMd = { data: 0, dataEnd: 4, dataMeta: 8, ingressIfindex: 12, rxQueueIndex: 16, egressIfindex: 20 } as const;

/** The largest variable offset the verifier accepts on a packet pointer (MAX_PACKET_OFF). */
export const maxPacketOffset = 0xffff;
/**
 * One pass-through id for every view: the call is a pure function of (id, pointer), so two
 * views at the same variable offset (`ctx.header<UdpHdr>(l4)`, later `ctx.header<TcpHdr>(l4)`)
 * share one pointer and one bounds-check register, as C's `tcp = (void *)ports` does.
 */
const passthroughId = 1000;

/**
 * Stack slots holding ctx->data and ctx->data_end (as i32), loaded once at function entry
 * and again after each call that moves packet data — C's `void *data = …` at the top of a
 * program. mem2reg turns them into registers, so LLVM never reloads them from the context
 * and every bounds check compares the same data_end register.
 */
function packetBoundsSlots(fs: FunctionState): { readonly data: string; readonly end: string } {
  if (fs.packetSlots) return fs.packetSlots;
  const fb = fs.fb;
  const slots = { data: fb.alloca("i32", 4), end: fb.alloca("i32", 4) };
  for (const [slot, offset] of [
    [slots.data, 0],
    [slots.end, 4],
  ] as const) {
    const field = offset ? fb.prologueValue(`getelementptr inbounds i8, ptr ${fs.ctx}, i64 ${offset}`) : fs.ctx;
    const raw = fb.prologueValue(`load i32, ptr ${field}, align 4${nonZero(fs)}`);
    fb.prologueInst(`store i32 ${raw}, ptr ${slot}`);
  }
  fs.packetSlots = slots;
  return slots;
}

/**
 * `!range` metadata saying a packet pointer is never 0, so that the null test of a view at
 * offset 0 folds away (the verifier knows packet pointers are non-null; C never tests).
 */
function nonZero(fs: FunctionState): string {
  return `, !range ${fs.mod.module.meta("!{i32 1, i32 0}")}`;
}

/** The current ctx->data / ctx->data_end as i32. */
export function packetBound(fs: FunctionState, which: "data" | "end"): string {
  return fs.fb.value(`load i32, ptr ${packetBoundsSlots(fs)[which]}`);
}

/** A call moved packet data: reload data/data_end and start a new packet epoch (stale views). */
export function invalidatePacket(fs: FunctionState, what: string, node: ts.Node): void {
  if (fs.ctx) {
    const slots = packetBoundsSlots(fs);
    const data = fs.fb.value(`load i32, ptr ${fs.ctx}, align 4${nonZero(fs)}`);
    fs.fb.inst(`store i32 ${data}, ptr ${slots.data}`);
    const endField = fs.fb.value(`getelementptr inbounds i8, ptr ${fs.ctx}, i64 4`);
    const end = fs.fb.value(`load i32, ptr ${endField}, align 4`);
    fs.fb.inst(`store i32 ${end}, ptr ${slots.end}`);
  }
  fs.epoch++;
  const file = node.getSourceFile();
  fs.invalidations[fs.epoch] = { what, line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1 };
}

/** `ctx.len`, `ctx.ingressIfindex`, `ctx.rxQueueIndex` read as values. */
export function lowerContextField(fs: FunctionState, ctx: string, name: string, node: ts.Node): Value {
  const fb = fs.fb;
  const field = (offset: number) => loadContextField(fs, ctx, offset);
  switch (name) {
    case "len": {
      // Loaded here (volatile: never merged with the function's data/data_end), not taken
      // from the function's packet bounds: those are i32 values, and when one stayed alive
      // across a helper call in a branch (`if (…) log.info("{}", ctx.len)` twice) LLVM
      // spilled it with a 4-byte store, which the verifier refuses for a packet pointer
      // ("invalid size of register spill").
      const data = field(XdpMd.data);
      const end = field(XdpMd.dataEnd);
      // The difference of two packet pointers is a scalar to the verifier, but LLVM would
      // re-associate `x + (end - data)` into `(x - data) + end`: arithmetic on a packet
      // pointer in 32-bit ALU ops, which the verifier rejects. The passthrough keeps the
      // difference whole.
      const len = fb.value(`sub i32 ${end}, ${data}`);
      fs.mod.module.declare("declare i32 @llvm.bpf.passthrough.i32.i32(i32, i32)");
      const whole = fb.value(`call i32 @llvm.bpf.passthrough.i32.i32(i32 ${fs.mod.nextPassthroughSeq()}, i32 ${len})`);
      // The verifier knows nothing of a 32-bit difference of packet pointers, not even that
      // its upper half is zero, so ctx.header<T>(ctx.len) was "math between pkt pointer and
      // register with unbounded min value". The linear part of an XDP frame is below 64 KiB:
      // the mask changes no value and bounds it for the verifier.
      return { ty: intTy(Int.u32), ir: fb.value(`and i32 ${whole}, ${maxPacketOffset}`) };
    }
    case "ingressIfindex":
      return { ty: intTy(Int.u32), ir: field(XdpMd.ingressIfindex) };
    case "rxQueueIndex":
      return { ty: intTy(Int.u32), ir: field(XdpMd.rxQueueIndex) };
    default:
      fs.error(Diagnostics.UnsupportedSyntax, node, `ctx.${name} outside a call`);
      return constValue(0n);
  }
}

export function lowerContextMethod(fs: FunctionState, ctx: string, name: string, node: ts.CallExpression): Value {
  switch (name) {
    case "header":
      return lowerHeader(fs, ctx, node, XdpMd.data, XdpMd.dataEnd);
    // The metadata area lies between data_meta and data: the same check, against data.
    case "metadata":
      return lowerHeader(fs, ctx, node, XdpMd.dataMeta, XdpMd.data);
    case "adjustHead":
      return lowerAdjust(fs, ctx, node, BpfHelper.xdpAdjustHead, "ctx.adjustHead()");
    case "adjustTail":
      return lowerAdjust(fs, ctx, node, BpfHelper.xdpAdjustTail, "ctx.adjustTail()");
    case "adjustMeta":
      return lowerAdjust(fs, ctx, node, BpfHelper.xdpAdjustMeta, "ctx.adjustMeta()");
  }
  fs.error(Diagnostics.UnsupportedSyntax, node, `ctx.${name}()`);
  return constValue(0n);
}

/**
 * A 32-bit field of struct xdp_md other than data/data_end (packetBound has
 * those). The verifier allows only constant offsets from the context pointer, but LLVM may
 * merge two loads from different fields on two paths into one load from `ctx + select(…)`.
 * A volatile load is never merged that way.
 */
export function loadContextField(fs: FunctionState, ctx: string, offset: number): string {
  return fs.fb.value(`load volatile i32, ptr ${offsetPointer(fs, ctx, offset)}, align 4`);
}

/** data or data_end (kept per function: packetBound), or data_meta (loaded here). */
function packetPointer(fs: FunctionState, ctx: string, field: number): string {
  const raw =
    field === XdpMd.data
      ? packetBound(fs, "data")
      : field === XdpMd.dataEnd
        ? packetBound(fs, "end")
        : fs.fb.value(`load i32, ptr ${offsetPointer(fs, ctx, field)}, align 4`);
  const wide = fs.fb.value(`zext i32 ${raw} to i64`);
  // data is known non-null (packetBound's !range), so LLVM may turn a view's
  // null test back into its bounds comparison. That is safe because accesses through a
  // narrowed view use its non-null pointer (Local.nonNull), never the nullable select: on
  // whichever path the verifier takes the comparison as false, it has marked the range on
  // the very register the access goes through (find_good_pkt_pointers).
  return fs.fb.value(`inttoptr i64 ${wide} to ptr`);
}

// header<T>(offset: number): T | null — and metadata<T>(offset), from data_meta up to data
function lowerHeader(fs: FunctionState, ctx: string, node: ts.CallExpression, startField: number, endField: number): Value {
  const typeNode = node.typeArguments?.[0];
  const offsetExpr = node.arguments[0];
  if (!typeNode || !offsetExpr) {
    fs.error(Diagnostics.HelperArgument, node, 1, "ctx.header<T>(offset)", "a struct type argument and an offset");
    return { ty: { kind: "null" }, ir: "null" };
  }
  const layout = fs.mod.layouts.layoutOf(fs.checker.getTypeFromTypeNode(typeNode), typeNode);
  if (!layout) {
    const field = fs.mod.layouts.fieldTypeOf(fs.checker.getTypeFromTypeNode(typeNode), typeNode, typeNode.getText());
    if (field && field.kind !== "struct") fs.error(Diagnostics.HeaderNeedsStruct, typeNode, typeNode.getText());
    else fs.error(Diagnostics.UnsupportedType, typeNode, typeNode.getText());
    return { ty: { kind: "null" }, ir: "null" };
  }
  const offset = fs.lowerExpression(offsetExpr);
  const fb = fs.fb;
  const data = packetPointer(fs, ctx, startField);
  const end = packetPointer(fs, ctx, endField);
  const ok = fb.newBlock("header.ok");
  const fail = fb.newBlock("header.null");
  const join = fb.newBlock("header.join");
  let start: string;
  let cached: string | undefined;
  const limit = maxPacketOffset - layout.size;
  if (offset.constant !== undefined) {
    if (offset.constant < 0n || offset.constant > BigInt(maxPacketOffset))
      fs.error(Diagnostics.ConstantOutOfRange, offsetExpr, offset.constant.toString(), "a packet offset (0…65535)");
    start = offsetPointer(fs, data, Number(offset.constant));
  } else if (
    startField === XdpMd.data &&
    offset.max !== undefined &&
    offset.max <= BigInt(limit) &&
    (cached = cachedOffsetPointer(fs, offsetExpr)) !== undefined
  ) {
    start = cached;
  } else {
    const wide = convertImplicit(fs, offset, intTy(Int.u64), offsetExpr);
    if (offset.ty.kind === "int" && offset.ty.int.signed) fs.error(Diagnostics.SignMix, offsetExpr, "offset", "u32");
    // The verifier adds only a bounded scalar to a packet pointer, and marks a bounds check's
    // range only while offset + size stays within MAX_PACKET_OFF (find_good_pkt_pointers):
    // prove offset ≤ 0xffff - size, or the checked view would still be unreadable.
    const inRange = fb.newBlock("header.offset");
    if (!(offset.max !== undefined && offset.max <= BigInt(limit))) {
      const tooFar = fb.value(`icmp ugt i64 ${wide.ir}, ${limit}`);
      fb.condBr(tooFar, fail, inRange, true);
    } else {
      fb.br(inRange);
    }
    fb.setBlock(inRange);
    start = variableOffsetPointer(fs, data, wide.ir);
  }
  // This bounds check extends what the verifier knows about every pointer into the packet.
  // A view still waiting for its null test would then be tested by LLVM re-evaluating its
  // own (smaller) bounds comparison — which the verifier now believes true even on the
  // path where it was false, and follows with a null view. Such views get a barrier.
  fs.boundsCheckAhead();
  const past = offsetPointer(fs, start, layout.size);
  const outOfBounds = fb.value(`icmp ugt ptr ${past}, ${end}`);
  fb.condBr(outOfBounds, fail, ok, true);
  fb.setBlock(ok);
  const okEnd = fb.block;
  fb.br(join);
  fb.setBlock(fail);
  fb.br(join);
  fb.setBlock(join);
  const merged = fb.value(`phi ptr [ ${start}, %${okEnd.label} ], [ null, %${fail.label} ]`);
  const nonNull = fb.value(`phi ptr [ ${start}, %${okEnd.label} ], [ poison, %${fail.label} ]`);
  return { ...fs.trackView({ ty: { kind: "view", layout, nullable: true }, ir: merged, epoch: fs.epoch }), nonNull, region: "packet" };
}

/** The `data + offset` a const local's declaration computed, while the packet has not moved. */
function cachedOffsetPointer(fs: FunctionState, offsetExpr: ts.Expression): string | undefined {
  while (ts.isParenthesizedExpression(offsetExpr)) offsetExpr = offsetExpr.expression;
  if (!ts.isIdentifier(offsetExpr)) return undefined;
  const symbol = fs.symbolOf(offsetExpr);
  const cached = symbol && fs.offsetPointers.get(symbol);
  return cached && cached.epoch === fs.epoch ? cached.ptr : undefined;
}

/**
 * `data + offset` for an unsigned offset the compiler knows to be below 64 KiB (so the
 * verifier accepts the addition without a range check): emitted where a const offset is
 * declared, so that views at it on several paths share one pointer, as in C. Unused, LLVM
 * removes it.
 */
export function packetPointerAt(fs: FunctionState, ctx: string, offset: Value): string {
  const wide =
    offset.ty.kind === "int" && offset.ty.int.bits < 64 ? fs.fb.value(`zext ${llInt(offset.ty.int)} ${offset.ir} to i64`) : offset.ir;
  return variableOffsetPointer(fs, packetPointer(fs, ctx, XdpMd.data), wide);
}

/** `base + offset` (an i64 operand) as the one pointer the bounds check and accesses use. */
function variableOffsetPointer(fs: FunctionState, base: string, offset: string): string {
  const moved = fs.fb.value(`getelementptr inbounds i8, ptr ${base}, i64 ${offset}`);
  // Keep LLVM from re-associating (data + off) + size into data + (off + size): the
  // verifier proves bounds per pointer "id", and only data + off is what we access.
  fs.mod.module.declare("declare ptr @llvm.bpf.passthrough.p0.p0(i32, ptr)");
  return fs.fb.value(`call nonnull ptr @llvm.bpf.passthrough.p0.p0(i32 ${passthroughId}, ptr ${moved})`);
}

// adjustHead(delta) / adjustTail(delta) / adjustMeta(delta): bool
function lowerAdjust(fs: FunctionState, ctx: string, node: ts.CallExpression, helper: number, what: string): Value {
  const deltaExpr = node.arguments[0];
  if (!deltaExpr) {
    fs.error(Diagnostics.HelperArgument, node, 1, what, "a byte count");
    return constValue(0n);
  }
  const delta = convertImplicit(fs, fs.lowerExpression(deltaExpr), intTy(Int.i64), deltaExpr);
  const result = callHelper(fs, helper, "i64", [`ptr ${ctx}`, `i64 ${delta.ir}`]);
  invalidatePacket(fs, what, node);
  return { ty: BoolTy, ir: fs.fb.value(`icmp eq i64 ${result}, 0`) };
}
