#!/usr/bin/env node
import module, { register } from "node:module";

// Node 22.1+ keeps V8's compiled code between runs: parsing TypeScript's 9 MB is the largest
// part of a cold build (absent on Node 20, where this does nothing).
module.enableCompileCache?.();

// TypeScript loads through require() (see cli/typescript-hooks.ts): a faster cold build.
try {
  register("../dist/cli/typescript-hooks.js", import.meta.url);
} catch {
  // Not built yet: the import below says so.
}
import("../dist/cli/main.js").then((cli) => cli.main(process.argv.slice(2))).then(
  (code) => process.exit(code),
  (error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND") {
      console.error("tsxdp: the compiler is not built; run `npm run build` (npm ci builds it)");
      process.exit(2);
    }
    console.error(`tsxdp: internal error: ${error && error.stack ? error.stack : error}`);
    process.exit(2);
  },
);
