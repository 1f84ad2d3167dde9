#!/usr/bin/env node
import { register } from "node:module";

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
