// `tsxdp build --verify`: load every program of an object into the kernel (bpftool, which
// uses libbpf) and unload it. The kernel's verifier log already interleaves instructions
// with their `.xdp.ts` source lines (`; source @ file.xdp.ts:LINE`, from BTF line info);
// on rejection we print it, shortened in the middle when it is long.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { CompiledObject } from "./object-model.js";
import { Diagnostics, formatDiagnostic, makeDiagnostic } from "./diagnostics.js";
import { extractVerifierLog, verifierCause } from "../runtime/verifier-log.js";

export interface VerifyOutcome {
  readonly ok: boolean;
  readonly report: string;
  /** The verifier's log on rejection. */
  readonly log?: string;
}

const shownHead = 60;
const shownTail = 40;

export function verifyObject({ object, programs, maps }: CompiledObject): VerifyOutcome {
  const pinDir = fs.mkdtempSync(path.join("/sys/fs/bpf", `tsxdp-verify-${process.pid}-`));
  // libbpf pins `pinning: "byName"` maps under /sys/fs/bpf/NAME while loading (bpftool has no
  // option to move them): the pins this load creates are removed again, earlier ones stay.
  const createdPins = maps
    .filter((m) => m.pinByName)
    .map((m) => path.join("/sys/fs/bpf", m.name))
    .filter((pin) => !fs.existsSync(pin));
  try {
    // `prog load` loads every program and pins only the first, under a short name: `loadall`
    // pins each under its own name, which fails past 255 bytes (a name the kernel loads fine).
    const run = spawnSync("bpftool", ["prog", "load", object, path.join(pinDir, "first"), "type", "xdp"], {
      encoding: "utf8",
      maxBuffer: 512 << 20,
    });
    if (run.error)
      return { ok: false, report: `tsxdp: cannot run bpftool to verify (${run.error.message}); install it: apt-get install bpftool` };
    if (run.status !== 0 && !/BEGIN PROG LOAD LOG/.test(run.stderr)) {
      const libbpf = run.stderr
        .split("\n")
        .filter((l) => l.startsWith("libbpf:"))
        .join("\n");
      return { ok: false, report: report(object, makeDiagnostic(Diagnostics.LoadFailed, undefined, path.basename(object), `\n${libbpf}`)) };
    }
    if (run.status !== 0) {
      const log = extractVerifierLog(run.stderr);
      const program = /prog '([^']+)': BPF program load failed/.exec(run.stderr)?.[1] ?? programs.join(", ");
      const cause = verifierCause(log) ?? run.stderr.split("\n").find((l) => /failed/.test(l)) ?? "rejected";
      return {
        ok: false,
        log,
        report: `${report(object, makeDiagnostic(Diagnostics.VerifierRejected, undefined, program, cause))}\n${shorten(log)}`,
      };
    }
    return { ok: true, report: `${programs.length} program${programs.length === 1 ? "" : "s"} loaded and unloaded` };
  } finally {
    fs.rmSync(pinDir, { recursive: true, force: true });
    for (const pin of createdPins) fs.rmSync(pin, { force: true });
  }
}

/** A diagnostic about an object file, as the CLI prints it: `NAME.o - error TSX5003: …`. */
function report(object: string, diagnostic: ReturnType<typeof makeDiagnostic>): string {
  return `${path.basename(object)} - ${formatDiagnostic(diagnostic)}`;
}

function shorten(log: string): string {
  const lines = log.split("\n");
  if (lines.length <= shownHead + shownTail) return log;
  return [
    ...lines.slice(0, shownHead),
    `… ${lines.length - shownHead - shownTail} lines of the verifier log omitted …`,
    ...lines.slice(-shownTail),
  ].join("\n");
}
