// Kernel-dependent tests say what they need. Without it they skip locally, but under CI
// (CI=true) a missing capability is a failure: the CI machines are root VMs with BPF.
import fs from "node:fs";
import { spawnSync } from "node:child_process";

export function kernelUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root (BPF needs CAP_BPF/CAP_SYS_ADMIN)";
  if (!fs.existsSync("/sys/fs/bpf")) return "no bpffs at /sys/fs/bpf";
  if (spawnSync("bpftool", ["version"]).status !== 0) return "bpftool is not installed (apt-get install bpftool)";
  return undefined;
}

/** Returns true when kernel tests may run; throws under CI when they cannot. */
export function requireKernel(feature: string): boolean {
  const why = kernelUnavailable();
  if (!why) return true;
  if (process.env.CI) throw new Error(`kernel test '${feature}' cannot run under CI: ${why}`);
  console.warn(`skipping '${feature}': ${why}`);
  return false;
}
