// The VM against the kernel: each example program, built once, loaded on both backends with
// the same map entries, run on its case packet; ns/packet from test runs of many repeats
// (the kernel's BPF_PROG_TEST_RUN loop, the VM's loop over its translated function),
// interleaved so that drift on a shared machine falls on both alike. Goal: VM ≤ 20× kernel.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BpfObject } from "../runtime/index.js";
import { compile } from "../compiler/index.js";
import { toValue } from "../test/lib/cases.js";
import { benchSample, programs } from "./programs.js";

export interface VmRow {
  name: string;
  kernelNs: number;
  vmNs: number;
  sameVerdict: boolean;
}

export async function runVmBench(kernelRepeat = 1_000_000, vmRepeat = 200_000, rounds = 7): Promise<VmRow[]> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "tsxdp-bench-vm-"));
  const rows: VmRow[] = [];
  for (const { example, program } of programs) {
    const { source, packet, maps } = benchSample(example, program);
    const built = await compile({ files: [source], outDir: out, noSkeleton: true });
    const object = built.objects[0]!.object;
    const objects = [await (await BpfObject.open(object)).load(), await (await BpfObject.open(object, { backend: "vm" })).load()];
    try {
      for (const obj of objects) {
        for (const [name, entries] of Object.entries(maps))
          for (const [k, v] of entries) obj.map(name).set(toValue(k as never), toValue(v as never) as never);
      }
      const [kernel, vm] = objects.map((o) => o.program(program));
      const verdicts = [kernel!.run(packet).action, vm!.run(packet).action];
      vm!.run(packet, { repeat: vmRepeat }); // warm-up: V8 optimises the translated function
      const samples: [number[], number[]] = [[], []];
      for (let round = 0; round < rounds; round++) {
        samples[0].push(kernel!.run(packet, { repeat: kernelRepeat }).durationNs);
        samples[1].push(vm!.run(packet, { repeat: vmRepeat }).durationNs);
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
      rows.push({
        name: `${example}/${program}`,
        kernelNs: median(samples[0]),
        vmNs: median(samples[1]),
        sameVerdict: verdicts[0] === verdicts[1],
      });
    } finally {
      for (const o of objects) o.close();
    }
  }
  return rows;
}

export function formatVmRows(rows: VmRow[]): string[] {
  const lines = ["program              kernel ns/packet   VM ns/packet   VM/kernel   (goal ≤ 20×)"];
  for (const r of rows) {
    const ratio = r.vmNs / Math.max(r.kernelNs, 1);
    lines.push(
      `${r.name.padEnd(20)} ${r.kernelNs.toFixed(1).padStart(16)} ${r.vmNs.toFixed(1).padStart(14)} ${`${ratio.toFixed(1)}×`.padStart(10)}   ${ratio <= 20 ? "pass" : "FAIL"}${r.sameVerdict ? "" : "  (verdicts differ!)"}`,
    );
  }
  const geo = Math.exp(rows.reduce((a, r) => a + Math.log(r.vmNs / Math.max(r.kernelNs, 1)), 0) / rows.length);
  lines.push(`geometric mean VM/kernel: ${geo.toFixed(1)}×`);
  return lines;
}
