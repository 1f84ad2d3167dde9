// `tsxdp build --verify`: load every program of an object into the kernel (bpftool, which
// uses libbpf) and unload it. The kernel's verifier log already interleaves each
// instruction with its `.xdp.ts` source line (from BTF line info); on rejection we print it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface VerifyOutcome {
  readonly ok: boolean;
  readonly report: string;
}

export function verifyObject(object: string, programs: readonly string[]): VerifyOutcome {
  const pinDir = fs.mkdtempSync(path.join("/sys/fs/bpf", `tsxdp-verify-${process.pid}-`));
  try {
    const run = spawnSync("bpftool", ["-d", "prog", "loadall", object, pinDir, "type", "xdp"], { encoding: "utf8" });
    if (run.error) return { ok: false, report: `tsxdp: cannot run bpftool to verify (${run.error.message}); install it: apt-get install bpftool` };
    if (run.status !== 0) {
      const log = extractVerifierLog(run.stderr);
      return { ok: false, report: `error TSX5003: The kernel verifier rejected ${path.basename(object)} (${programs.join(", ")}):\n${log}` };
    }
    return { ok: true, report: `${programs.length} program${programs.length === 1 ? "" : "s"} loaded and unloaded` };
  } finally {
    fs.rmSync(pinDir, { recursive: true, force: true });
  }
}

/** The verifier's part of libbpf's debug output, with the source-line comments kept. */
export function extractVerifierLog(stderr: string): string {
  const lines = stderr.split("\n");
  const start = lines.findIndex((l) => /BEGIN PROG LOAD LOG/.test(l));
  const end = lines.findIndex((l) => /END PROG LOAD LOG/.test(l));
  const body = start >= 0 ? lines.slice(start + 1, end > start ? end : undefined) : lines.filter((l) => !/^libbpf: (elf|map|sec|prog '.*': found|CO-RE)/.test(l));
  return body.join("\n").trim();
}
