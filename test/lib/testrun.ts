// BPF_PROG_TEST_RUN through bpftool, for compiler tests that need only "bytes in, verdict
// and bytes out". The runtime's own test-run API is tested separately.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface LoadedProgram {
  run(packet: Uint8Array): { action: number; packet: Uint8Array };
  unload(): void;
}

export function loadProgram(object: string, program: string): LoadedProgram {
  const pinDir = fs.mkdtempSync(path.join("/sys/fs/bpf", `tsxdp-test-${process.pid}-`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-testrun-"));
  const load = spawnSync("bpftool", ["prog", "loadall", object, pinDir, "type", "xdp"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (load.status !== 0) {
    fs.rmSync(pinDir, { recursive: true, force: true });
    throw new Error(`bpftool could not load ${object}:\n${load.stderr.slice(-4000)}`);
  }
  const pin = path.join(pinDir, program);
  return {
    run(packet) {
      const input = path.join(work, "in");
      const output = path.join(work, "out");
      fs.writeFileSync(input, packet);
      const r = spawnSync("bpftool", ["-j", "prog", "run", "pinned", pin, "data_in", input, "data_out", output], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`bpftool prog run failed: ${r.stderr}`);
      const result = JSON.parse(r.stdout) as { retval: number };
      return { action: result.retval, packet: new Uint8Array(fs.readFileSync(output)) };
    },
    unload() {
      fs.rmSync(pinDir, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
