#!/usr/bin/env node
import module from "node:module";

// Node 22.1+ keeps V8's compiled code between runs: parsing TypeScript's 9 MB is the largest
// part of a cold build (absent on Node 20, where this does nothing).
module.enableCompileCache?.();

// TypeScript goes into require()'s cache first, compiled with tsxdp's own code cache (see
// cli/typescript-code-cache.ts), where the compiler's `#typescript` import then finds it.
// The `tsxdp` command (bin/tsxdp) starts build and check from a startup snapshot instead
// when it has one (cli/startup-snapshot.ts).
import("../dist/cli/launch.js")
  .then((cli) => cli.launch(process.argv.slice(2)))
  .catch((error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND") {
      console.error("tsxdp: the compiler is not built; run `npm run build` (npm ci builds it)");
      process.exit(2);
    }
    console.error(`tsxdp: internal error: ${error && error.stack ? error.stack : error}`);
    process.exit(2);
  });
