// What `import ts from "#typescript"` (package.json "imports") is at run time: TypeScript
// through require(). Imported as an ES module, Node first scans all of typescript.js (9 MB) for
// its CommonJS export names, which was a third of a cold build; the compiler only uses the
// default export, the same object either way. The type checker sees the "typescript" package.
// The `tsxdp` command puts TypeScript in require()'s cache beforehand, compiled with a code
// cache (cli/typescript-code-cache.ts); this require() then returns that same module.
import { createRequire } from "node:module";
import type TypeScript from "typescript";

const ts: typeof TypeScript = createRequire(import.meta.url)("typescript");
export default ts;
