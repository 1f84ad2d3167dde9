// tsxdp/runtime: load, attach, test and feed tsxdp programs from Node.
import "./dispose.js";
export { BpfObject, ensureBpffsDir, type OpenOptions, type Variable } from "./object.js";
export {
  BpfProgram,
  PinnedProgram,
  type XdpProgram,
  type Link,
  type AttachOptions,
  type AttachMode,
  type RunOptions,
  type RunResult,
  detachInterface,
  ifindexOf,
} from "./program.js";
export { BpfMap, BpfPerCpuMap, BpfRingBuf, MapType, UpdateFlags, type TypedMap, type PerCpuMap, type RingBufReader } from "./map.js";
export { BpfError, VerifierError } from "./errors.js";
export { LogStream, decodeLogRecord, formatLogLine, readLogTable, logLevels, type LogLine, type LogLevel, type LogTable } from "./logs.js";
export { openPin, type Pin } from "./pins.js";
export { loadedXdpPrograms, xdpAttachments, type LoadedProgram, type XdpAttachment } from "./loaded-programs.js";
export { formatTyped } from "./display.js";
export { traceLines, type TraceLine, type TraceOptions } from "./trace.js";
export { XDP, ipv4, formatIpv4, mac } from "./xdp.js";
export { Btf } from "./btf.js";
export { type Codec, type LayoutSpec, codecFor, codecFromLayout, encode, decode } from "./codec.js";
export * as packets from "./packets/index.js";
export { XskSocket, liveFrames, type XskOptions, type XskStats, type XskBatch } from "./xsk/index.js";
export type { VmOptions } from "./vm/machine.js";
export type { RedirectTarget } from "./vm/helpers.js";
export type { VmFibTable, VmRoute } from "./vm/fib.js";
