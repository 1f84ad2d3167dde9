// The LLVM step: `opt -O2` then `llc -march=bpf`, from the system LLVM (14 or newer),
// located at run time. TSXDP_LLVM_DIR overrides the search. LLVM 14 needs
// -opaque-pointers for the `ptr` IR we emit; 15+ have it on by default.
import { execFileSync, spawnSync } from "node:child_process";
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

/** Compiles textual IR to a BPF ELF object at `outFile`. */
/** The BPF ELF object for `ir` (llc writes it to stdout: the caller writes the file). */
export function compileIr(tools: LlvmTools, ir: string, cpu = "v3"): Buffer {
  const pointerFlags = tools.version < 15 ? ["-opaque-pointers"] : [];
  const opt = spawnSync(tools.opt, [...pointerFlags, "-O2", "-mtriple=bpf", ...verifierSafeOptFlags, "-", "-o", "-"], {
    input: ir,
    maxBuffer: 64 << 20,
  });
  if (opt.status !== 0) throw new LlvmError(firstLines(opt.stderr.toString()));
  const llc = spawnSync(tools.llc, [...pointerFlags, "-march=bpf", `-mcpu=${cpu}`, "-O2", "-filetype=obj", "-o", "-", "-"], {
    input: opt.stdout,
    maxBuffer: 64 << 20,
  });
  if (llc.status !== 0) throw new LlvmError(firstLines(llc.stderr.toString()));
  return llc.stdout;
}

function firstLines(text: string): string {
  return text.split("\n").slice(0, 12).join("\n").trim();
}
