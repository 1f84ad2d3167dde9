// npm install step for the native addon: check the system libraries first, so a missing
// package is named in one line instead of a page of compiler errors, then run node-gyp.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const required = [
  { header: "/usr/include/bpf/libbpf.h", pkg: "libbpf-dev" },
  { header: "/usr/include/xdp/xsk.h", pkg: "libxdp-dev" },
  { header: "/usr/include/gelf.h", pkg: "libelf-dev" },
];
const missing = required.filter((r) => !fs.existsSync(r.header)).map((r) => r.pkg);
if (missing.length) {
  console.error(`tsxdp: cannot build the native addon: install ${missing.join(" ")} (e.g. apt-get install ${missing.join(" ")}, or run scripts/setup-system.sh)`);
  process.exit(1);
}
// npm puts its own node-gyp on PATH for install scripts (and names it in npm_config_node_gyp).
const bundled = process.env.npm_config_node_gyp;
const gyp = bundled
  ? spawnSync(process.execPath, [bundled, "rebuild"], { stdio: "inherit" })
  : spawnSync("node-gyp", ["rebuild"], { stdio: "inherit" });
if (gyp.error) console.error(`tsxdp: cannot run node-gyp (${gyp.error.message}); run \`npm rebuild tsxdp\` from npm`);
process.exit(gyp.status ?? 1);
