// npm run bench: tsxdp against its C references, in one run on this machine. Ratios, not
// absolute times, are what to compare across machines.
import { runProgramBench, formatProgramRows } from "./programs.js";
import { runMapBench } from "./maps.js";
import { runEditorBench } from "./editor.js";
import { runLogBench } from "./logs.js";
import { runScalingBench } from "./scaling.js";

const only = process.argv[2];
if (!only || only === "programs") {
  console.log("== generated programs: tsxdp vs clang (bench/c) ==");
  for (const line of formatProgramRows(await runProgramBench())) console.log(line);
}
if (!only || only === "maps") {
  console.log("\n== map operations from Node vs a C loop over the same syscalls ==");
  for (const line of await runMapBench()) console.log(line);
}
if (!only || only === "editor") {
  console.log("\n== the developer loop: editor diagnostics, watch rebuild and cold build vs clang ==");
  for (const line of await runEditorBench()) console.log(line);
}
if (!only || only === "logs") {
  console.log("\n== log.* from a program: cost per call (same program without the call, same run) ==");
  for (const line of await runLogBench()) console.log(line);
}
if (!only || only === "vm") {
  const { runVmBench, formatVmRows } = await import("./vm.js");
  console.log("\n== the VM backend vs the kernel's test run (ns/packet, same object and packet) ==");
  for (const line of formatVmRows(await runVmBench())) console.log(line);
}
if (!only || only === "scaling") {
  console.log("\n== compile time against program size (CPU ms of tsxdp check, and of build with LLVM) ==");
  for (const line of await runScalingBench()) console.log(line);
}
if (!only || only === "xsk") {
  try {
    const xsk = await import("./xsk.js");
    console.log("\n== AF_XDP receive ==");
    for (const line of await xsk.runXskBench()) console.log(line);
    console.log("\n== AF_XDP transmit and forwarding (far-end delivered) ==");
    for (const line of await xsk.runXskTransmitBench()) console.log(line);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
  }
}
