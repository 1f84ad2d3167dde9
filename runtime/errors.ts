// Errors that name the cause in words and what to do, with `code` set to the errno name.
import { Errno } from "./kernel.js";
import { verifierCause } from "./verifier-log.js";

const errnoNames = new Map<number, string>(Object.entries(Errno).map(([name, n]) => [n, name]));

/** The errno's name (ENXIO for 6), undefined for numbers the platform does not name. */
export function errnoName(errno: number): string | undefined {
  return errnoNames.get(errno);
}

export class BpfError extends Error {
  readonly code: string;
  readonly errno?: number;
  /** libbpf's messages around the failure, when there were any. */
  readonly libbpfLog?: string;
  constructor(message: string, code: string, options: { errno?: number; libbpfLog?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BpfError";
    this.code = code;
    this.errno = options.errno;
    this.libbpfLog = options.libbpfLog;
  }
}

/** The kernel verifier rejected a program: `.log` is its full log, with .xdp.ts lines. */
export class VerifierError extends BpfError {
  readonly program: string;
  readonly log: string;
  constructor(program: string, log: string, errno: number | undefined, cause?: unknown) {
    super(
      `The kernel verifier rejected program '${program}': ${verifierCause(log) ?? "see .log"}`,
      errnoNames.get(errno ?? 0) ?? "EINVAL",
      { errno, libbpfLog: log, cause },
    );
    this.name = "VerifierError";
    this.program = program;
    this.log = log;
  }
}

interface NativeError {
  errno?: number;
  libbpfLog?: string;
  message?: string;
  signal?: number;
  timedOut?: boolean;
  timeoutMs?: number;
}

/**
 * libbpf's parse (or load) was tried in a child process first and the child did not
 * survive it (native/src/isolate.c): the input is malformed in a way libbpf 1.1 cannot
 * handle. Undefined when the error is not such a failure.
 */
export function isolatedFailure(error: unknown, phase: "parse" | "load", what: string): BpfError | undefined {
  const e = (error ?? {}) as NativeError;
  if (!e.signal && !e.timedOut) return undefined;
  const verb = phase === "parse" ? "parse" : "load";
  const how = e.timedOut ? `did not finish within ${e.timeoutMs} ms and was stopped` : `crashed with signal ${e.signal}`;
  const message =
    phase === "parse"
      ? `malformed ELF: libbpf could not parse it (${how}) — ${what}; the file is damaged or not a BPF object (rebuild it)`
      : `malformed BPF object: libbpf could not ${verb} it (${how}) — ${what}; its BTF or relocations are damaged (rebuild it)`;
  return new BpfError(message, "EINVAL", { errno: Errno.EINVAL, cause: error });
}

/**
 * attach() found a program on the interface and was not asked to replace it. `code` is
 * EEXIST whichever errno the kernel used (links say EBUSY, netlink EEXIST or EBUSY);
 * `errno` keeps the kernel's number.
 */
export function alreadyAttached(
  error: unknown,
  what: string,
  context: { ifname?: string; progId?: number; holder?: "link" | "netlink" },
): BpfError {
  const e = (error ?? {}) as NativeError;
  const holder = context.holder === "link" ? ", held by a BPF link" : context.holder === "netlink" ? ", attached through netlink" : "";
  const which = context.progId ? ` (program id ${context.progId}${holder})` : "";
  const message = `${what}: a program is already attached to ${context.ifname ? `'${context.ifname}'` : "this interface"}${which}; to replace it, pass { replace: true } to attach() (tsxdp attach --replace); or detach it first (close or unpin the link that holds it, or tsxdp detach --dev ${context.ifname ?? "IFACE"})`;
  return new BpfError(message, "EEXIST", { errno: e.errno, libbpfLog: e.libbpfLog || undefined, cause: error });
}

/** Turns a native failure into an error whose message says what happened and what to do. */
export function explain(error: unknown, what: string, context: { ifname?: string; program?: string; attach?: boolean } = {}): BpfError {
  const e = (error ?? {}) as NativeError;
  if (e instanceof BpfError) return e;
  const errno = e.errno;
  // libbpf's own codes (LIBBPF_ERRNO__FORMAT and friends, 4000 and up) mean bad input.
  const code =
    (errno !== undefined && (errnoNames.get(errno) ?? (errno >= 4000 && errno < 4100 ? "EINVAL" : undefined))) ||
    (error as { code?: string }).code ||
    "EUNKNOWN";
  const log = e.libbpfLog || undefined;
  let message: string;
  switch (code) {
    case "EPERM":
    case "EACCES":
      message = `${what}: permission denied — BPF needs root, or CAP_BPF and CAP_NET_ADMIN (and CAP_PERFMON for some maps), and an unlimited memlock on old kernels (ulimit -l unlimited)`;
      break;
    case "ENODEV":
      message = `${what}: no such network interface${context.ifname ? ` '${context.ifname}'` : ""} (ip link shows the interfaces of this namespace)`;
      break;
    case "EEXIST":
    case "EBUSY":
      message = context.attach
        ? `${what}: the interface is busy (another XDP program, or one in another mode, holds it)`
        : `${what}: ${code === "EEXIST" ? "already exists" : "busy"}`;
      break;
    case "EOPNOTSUPP":
      message = `${what}: not supported by this interface or kernel${context.ifname ? ` ('${context.ifname}')` : ""}`;
      break;
    case "ENOENT":
      message = `${what}: not found`;
      break;
    case "E2BIG":
      message = `${what}: too big (the program or value exceeds a kernel limit)`;
      break;
    default:
      message = `${what}: ${e.message ?? String(error)}`;
  }
  return new BpfError(message, code, { errno, libbpfLog: log, cause: error });
}

/**
 * A caller passed something the API does not take (a wrong type, a number out of range, a
 * value that does not fit its field): a TypeError or RangeError, as JavaScript APIs throw
 * for bad arguments, with `code` EINVAL like the runtime's other errors. Nothing has reached
 * the kernel when one is thrown.
 */
export function invalidArgument(kind: "type" | "range", message: string, cause?: unknown): (TypeError | RangeError) & { code: "EINVAL" } {
  const options = cause === undefined ? undefined : { cause };
  const error = kind === "range" ? new RangeError(message, options) : new TypeError(message, options);
  return Object.assign(error, { code: "EINVAL" as const });
}

/** The same error class as `error` (RangeError stays RangeError), with `message` and code EINVAL. */
export function invalidValue(message: string, error: unknown): (TypeError | RangeError) & { code: "EINVAL" } {
  return invalidArgument(
    error instanceof RangeError ? "range" : "type",
    `${message}: ${(error as Error)?.message ?? String(error)}`,
    error,
  );
}

/**
 * `value` as an integer in [min, max]: a TypeError for a non-number, a RangeError for a
 * fraction, NaN or a number outside the range (the addon would truncate 1.5 to 1 and wrap
 * 2 ** 32 + 1 to 1, silently acting on something else).
 */
export function integerArgument(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number")
    throw invalidArgument("type", `${what} must be a number, not ${typeof value === "bigint" ? "a bigint" : typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalidArgument("range", `${what} must be an integer from ${min} to ${max}, not ${value}`);
  return value;
}

/** Largest value of an unsigned 32-bit kernel field (repeat counts, flags, queue ids). */
export const u32Max = 0xffff_ffff;

/** BTF that does not hold together (a type id past the end, a cycle): the object is damaged. */
export function malformedBtf(error: unknown, what: string): BpfError {
  if (error instanceof BpfError) return error;
  return new BpfError(
    `malformed BTF in ${what}: ${(error as Error)?.message ?? String(error)} — the object's type information is damaged (rebuild it)`,
    "EINVAL",
    { errno: Errno.EINVAL, cause: error },
  );
}
