// npm install step for the native addon: check the system libraries first, so a missing
// package is named in one line instead of a page of compiler errors, then run node-gyp.
// Without the addon tsxdp still installs: the compiler and the VM backend need no native
// code, and kernel calls then say in words that the addon is missing. So a missing library
// or a failed build is a warning and the install succeeds.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const withoutAddon = "tsxdp installs without its native addon: building programs and running them on the VM backend ({ backend: \"vm\" }, tsxdp run --vm) work; loading into the kernel, attaching and AF_XDP need the addon (then `npm rebuild tsxdp`)";
const required = [
  { header: "/usr/include/bpf/libbpf.h", pkg: "libbpf-dev" },
  { header: "/usr/include/xdp/xsk.h", pkg: "libxdp-dev" },
  { header: "/usr/include/gelf.h", pkg: "libelf-dev" },
];
const missing = process.platform === "linux" ? required.filter((r) => !fs.existsSync(r.header)).map((r) => r.pkg) : [];
if (process.platform !== "linux") {
  console.warn(`tsxdp: the native addon needs Linux (libbpf, libxdp); this is ${process.platform}. ${withoutAddon}.`);
  process.exit(0);
}
if (missing.length) {
  console.warn(`tsxdp: cannot build the native addon: install ${missing.join(" ")} (e.g. apt-get install ${missing.join(" ")}, or run scripts/setup-system.sh). ${withoutAddon}.`);
  process.exit(0);
}
// npm puts its own node-gyp on PATH for install scripts (and names it in npm_config_node_gyp).
const bundled = process.env.npm_config_node_gyp;
const gyp = bundled
  ? spawnSync(process.execPath, [bundled, "rebuild"], { stdio: "inherit" })
  : spawnSync("node-gyp", ["rebuild"], { stdio: "inherit" });
if (gyp.error) console.warn(`tsxdp: cannot run node-gyp (${gyp.error.message}). ${withoutAddon}.`);
else if (gyp.status !== 0) console.warn(`tsxdp: building the native addon failed (node-gyp exit ${gyp.status}; is a C compiler installed? apt-get install build-essential). ${withoutAddon}.`);
process.exit(0);
