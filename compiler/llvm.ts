// The LLVM step: `opt -O2` then `llc -march=bpf`, from the system LLVM (14 or newer),
// located at run time. TSXDP_LLVM_DIR overrides the search. LLVM 14 needs
// -opaque-pointers for the `ptr` IR we emit; 15+ have it on by default.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface LlvmTools {
  readonly opt: string;
  readonly llc: string;
  readonly version: number;
}

/**
 * The last search, with what it searched: a process started from tsxdp's startup snapshot
 * has the search of the build that made the snapshot, under that build's environment.
 */
let cached: { readonly searched: string; readonly tools: LlvmTools | undefined } | undefined;

export function findLlvm(): LlvmTools | undefined {
  const override = process.env.TSXDP_LLVM_DIR;
  const searched = `${override}\0${process.env.PATH}`;
  if (cached?.searched === searched && (!cached.tools || fs.existsSync(cached.tools.llc))) return cached.tools;
  cached = { searched, tools: search(override) };
  return cached.tools;
}

function search(override: string | undefined): LlvmTools | undefined {
  const dirs = override
    ? [override]
    : [...(process.env.PATH ?? "").split(":"), ...[20, 19, 18, 17, 16, 15, 14].map((v) => `/usr/lib/llvm-${v}/bin`)].filter((d) => d);
  for (const dir of dirs) {
    for (const suffix of ["", "-14", "-15", "-16", "-17", "-18", "-19", "-20"]) {
      const opt = path.join(dir, `opt${suffix}`);
      const llc = path.join(dir, `llc${suffix}`);
      if (!fs.existsSync(opt) || !fs.existsSync(llc)) continue;
      const version = versionOf(llc);
      if (version !== undefined && version >= 14) return { opt, llc, version };
    }
  }
  return undefined;
}

function versionOf(tool: string): number | undefined {
  // Debian's /usr/bin/llc links to /usr/lib/llvm-N/bin/llc: the path tells, no process needed.
  const fromPath = /llvm-(\d+)\//.exec(fs.realpathSync(tool));
  if (fromPath) return Number(fromPath[1]);
  try {
    const out = execFileSync(tool, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const m = /LLVM version (\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class LlvmError extends Error {}

/**
 * SimplifyCFG's "sink common instructions" merges loads of two different context fields
 * on two paths into one load from `ctx + select(off1, off2)`; the verifier only allows
 * constant offsets from the context pointer ("dereference of modified ctx ptr"). LLVM 18
 * added a BPF pass for this (preserve_static_offset); before it, sinking must be off.
 */
const verifierSafeOptFlags = ["-simplifycfg-sink-common=false"];

/**
 * `opt` and `llc` for one object, started before the IR exists: their start (loading LLVM's
 * libraries, about half of their time for a small program) runs on the other core while
 * TypeScript checks the program. `compile` then hands them the IR; `cancel` ends them when
 * there is nothing to compile (diagnostics, or a file that gave no module).
 */
export class LlvmPipeline {
  private readonly opt: ChildProcess;
  private readonly llc: ChildProcess;
  private readonly optDone: Promise<Finished>;
  private readonly llcDone: Promise<Finished>;

  constructor(tools: LlvmTools, cpu = "v3") {
    const pointerFlags = tools.version < 15 ? ["-opaque-pointers"] : [];
    this.opt = spawn(tools.opt, [...pointerFlags, "-O2", "-mtriple=bpf", ...verifierSafeOptFlags, "-", "-o", "-"]);
    this.llc = spawn(tools.llc, [...pointerFlags, "-march=bpf", `-mcpu=${cpu}`, "-O2", "-filetype=obj", "-o", "-", "-"]);
    this.optDone = finished(this.opt);
    this.llcDone = finished(this.llc);
  }

  /** The BPF ELF object for `ir` (llc writes it to stdout: the caller writes the file). */
  async compile(ir: string): Promise<Buffer> {
    this.opt.stdin!.end(ir);
    const opt = await this.optDone;
    if (opt.status !== 0) {
      this.cancel();
      throw new LlvmError(firstLines(opt.stderr || opt.error || `opt ${opt.ended}`));
    }
    this.llc.stdin!.end(opt.stdout);
    const llc = await this.llcDone;
    if (llc.status !== 0) throw new LlvmError(firstLines(llc.stderr || llc.error || `llc ${llc.ended}`));
    return llc.stdout;
  }

  cancel(): void {
    for (const child of [this.opt, this.llc]) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

interface Finished {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Why it could not run (spawn failed), in words. */
  readonly error: string;
  /** How it ended, in words. */
  readonly ended: string;
}

/** Everything a child wrote, once it has ended; never rejects. */
function finished(child: ChildProcess): Promise<Finished> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stderr!.on("data", (d: Buffer) => err.push(d));
  // A child that died early closes its stdin: the write fails with EPIPE, and its status says why.
  child.stdin!.on("error", () => {});
  return new Promise((resolve) => {
    let error = "";
    child.on("error", (e) => (error = e.message));
    child.on("close", (status, signal) =>
      resolve({
        status: error ? -1 : status,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString(),
        error,
        ended: signal ? `was killed by ${signal}` : `exited with status ${status}`,
      }),
    );
  });
}

function firstLines(text: string): string {
  return text.split("\n").slice(0, 12).join("\n").trim();
}
