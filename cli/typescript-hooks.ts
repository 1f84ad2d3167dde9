// Module hooks for the `tsxdp` command (registered by bin/tsxdp.js): `import ts from
// "typescript"` gets a two-line ES module that require()s TypeScript. Imported directly,
// Node's ESM loader first scans all of typescript.js (9 MB) for its CommonJS export names,
// which was 250 ms of a 600 ms cold build; require() skips that scan. The compiler only ever
// uses the default export, which is the same object either way. The require() goes through
// typescript-code-cache.ts, which saves compiling typescript.js on every run.
import type { ResolveHook, LoadHook } from "node:module";

const shimUrl = "tsxdp:typescript";

export const resolve: ResolveHook = (specifier, context, nextResolve) => {
  if (specifier === "typescript" && context.parentURL?.includes("/compiler/")) {
    return { url: `${shimUrl}?from=${encodeURIComponent(context.parentURL)}`, format: "module", shortCircuit: true };
  }
  return nextResolve(specifier, context);
};

export const load: LoadHook = (url, context, nextLoad) => {
  if (!url.startsWith(shimUrl)) return nextLoad(url, context);
  const from = decodeURIComponent(new URL(url).searchParams.get("from")!);
  const loader = new URL("./typescript-code-cache.js", import.meta.url).href;
  const source = `import { loadTypeScript } from ${JSON.stringify(loader)};\nexport default loadTypeScript(${JSON.stringify(from)});\n`;
  return { format: "module", source, shortCircuit: true };
};
