// Which bind modes to try, and when a failure means "fall back" rather than "give up": pure
// decisions, so the zero-copy paths have unit tests on machines whose drivers (veth) have
// no zero-copy.
import { Errno } from "../kernel.js";

export type XskMode = "copy" | "zerocopy" | "auto";

/** The bind attempts for a requested mode, in order. */
export function bindAttempts(mode: XskMode): ("zerocopy" | "copy")[] {
  switch (mode) {
    case "copy":
      return ["copy"];
    case "zerocopy":
      return ["zerocopy"];
    case "auto":
      return ["zerocopy", "copy"];
    default:
      throw new RangeError(`mode must be "copy", "zerocopy" or "auto", not ${JSON.stringify(mode)}`);
  }
}

/**
 * Whether a failed zero-copy bind should be retried in copy mode: only for "auto", and only
 * when the driver said it has no zero-copy (EOPNOTSUPP). Other errors (a busy queue, a bad
 * queue id) would fail the same way in copy mode and are reported as they are.
 */
export function fallsBackToCopy(mode: XskMode, attempt: "zerocopy" | "copy", errno: number | undefined): boolean {
  return mode === "auto" && attempt === "zerocopy" && errno === Errno.EOPNOTSUPP;
}
