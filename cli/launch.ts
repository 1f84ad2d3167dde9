// How the `tsxdp` command starts: TypeScript is loaded first (from the startup snapshot when
// the command was started from one, else through the V8 code cache), then the command line
// runs, and the process exits with its code. Both entries use it: bin/tsxdp.js, and the
// snapshot's main function (bin/snapshot-builder.cjs).
// Nothing here may import the compiler before TypeScript is loaded: it would load it plainly.
import { preloadTypeScript, registerTypeScript } from "./typescript-code-cache.js";

/** How this process got TypeScript, for TSXDP_STARTUP_REPORT (tests and the bench read it). */
export type TypeScriptSource = "snapshot" | "loaded" | "stale-snapshot";

export async function launch(argv: string[], fromSnapshot?: { typescript: unknown } | { stale: string; because: string }): Promise<never> {
  let source: TypeScriptSource = "loaded";
  if (fromSnapshot && "typescript" in fromSnapshot) {
    registerTypeScript(fromSnapshot.typescript);
    source = "snapshot";
  } else {
    if (fromSnapshot) source = "stale-snapshot";
    preloadTypeScript();
  }
  if (process.env["TSXDP_STARTUP_REPORT"])
    process.stderr.write(
      `tsxdp: typescript ${source}${fromSnapshot && "because" in fromSnapshot ? ` (changed: ${fromSnapshot.because})` : ""}\n`,
    );
  const { main } = await import("./main.js");
  const code = await main(argv);
  // The launcher (bin/tsxdp) asks for a snapshot when it found none; a failed command may
  // have failed before TypeScript ran, so only a command that worked is worth one.
  const stale = fromSnapshot && "stale" in fromSnapshot ? fromSnapshot.stale : undefined;
  if ((stale || process.env["TSXDP_SNAPSHOT"]) && code !== 2) {
    const snapshot = await import("./startup-snapshot.js");
    const request = snapshot.snapshotRequest(argv, stale);
    if (request) snapshot.buildSnapshotLater(request);
  }
  process.exit(code);
}
