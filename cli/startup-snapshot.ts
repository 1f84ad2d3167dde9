// The startup snapshot of `tsxdp build` and `tsxdp check`: a V8 heap, made with Node's
// `--build-snapshot`, in which TypeScript is loaded and its parser, binder and checker have
// run (so compiled) over the stdlib and a program. Node deserializes it instead of compiling
// typescript.js, which is most of a cold build.
//
// The launcher (bin/tsxdp, a shell script: a Node launcher would cost a second Node start)
// finds a snapshot in the cache folder by a key of the node binary and the package folder,
// and sets TSXDP_SNAPSHOT when there is none; the command then builds one in a detached
// process once it has finished, so nobody waits for it. A snapshot made from files that have
// changed since (tsxdp's dist/, typescript.js) is not used (bin/snapshot-builder.cjs checks)
// and is replaced the same way.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";
import { typeScriptFile } from "./typescript-code-cache.js";

/** What the snapshot builder reads from TSXDP_SNAPSHOT_SPEC. */
export interface SnapshotSpec {
  readonly typescript: { file: string };
  /** cli/launch.js: the snapshot's main function runs its launch(). */
  readonly launch: string;
  /** Modules a build or check may import after it started (the rest is imported by launch.js and main.js). */
  readonly preload: string[];
  /** bin/tsxdp.js: process.argv[1] of a command started from the snapshot. */
  readonly bin: string;
  /** The .xdp.ts files the builder builds so that the code a build runs is compiled in the snapshot. */
  readonly warmUp: string[];
}

export interface SnapshotRequest {
  /** The snapshot's path without `-TIME-SIZE.blob` (bin/tsxdp names it). */
  readonly prefix: string;
  readonly files: string[];
}

/** Whether this command should leave a snapshot behind, and where. */
export function snapshotRequest(argv: readonly string[], stalePrefix?: string): SnapshotRequest | undefined {
  const prefix = stalePrefix ?? process.env["TSXDP_SNAPSHOT"];
  if (!prefix || (argv[0] !== "build" && argv[0] !== "check")) return undefined;
  const files = argv.slice(1).filter((a) => a.endsWith(".ts") && fs.existsSync(a));
  return files.length ? { prefix, files } : undefined;
}

/** Each is about 20 MB, one per tsxdp folder and node binary: the other folders' oldest are removed. */
const keptSnapshots = 4;
/**
 * A replaced snapshot stays this long: a command may have chosen it just before and be about
 * to open it (removing it then would fail that command's start). The launcher always takes
 * the newest.
 */
const replacedSnapshotGraceMs = 10 * 60_000;
const snapshotName = /^(snapshot-\d+)-\d{13}-\d+\.blob$/;

/** Snapshots of the other keys beyond the newest `keep - 1`, and this key's replaced ones after their grace. */
function removeOldSnapshots(folder: string, prefix: string, keep: number): void {
  const newestByKey = new Map<string, number>();
  const snapshots = fs.readdirSync(folder).flatMap((name) => {
    const key = snapshotName.exec(name)?.[1];
    if (!key) return [];
    const file = path.join(folder, name);
    const mtimeMs = fs.statSync(file).mtimeMs;
    newestByKey.set(key, Math.max(newestByKey.get(key) ?? 0, mtimeMs));
    return [{ key, file, mtimeMs }];
  });
  const ownKey = path.basename(prefix);
  const keptKeys = new Set(
    [...newestByKey]
      .filter(([key]) => key !== ownKey)
      .sort((a, b) => b[1] - a[1])
      .slice(0, keep - 1)
      .map(([key]) => key),
  );
  for (const { key, file, mtimeMs } of snapshots) {
    const replaced = mtimeMs < newestByKey.get(key)! && Date.now() - mtimeMs > replacedSnapshotGraceMs;
    if (key === ownKey ? replaced : !keptKeys.has(key) || replaced) fs.rmSync(file, { force: true });
  }
}

/** A lock older than this belongs to a builder that died. */
const staleLockMs = 10 * 60_000;

/** Starts the snapshot builder in a detached process and returns at once; no error reaches the command. */
export function buildSnapshotLater(request: SnapshotRequest): void {
  // A command started from a stale snapshot imports tsxdp's files through this loader (Node ≥ 20.12).
  if (!vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER) return;
  try {
    const lock = `${request.prefix}.lock`;
    if (!takeLock(lock)) return;
    const here = path.dirname(fileURLToPath(import.meta.url));
    const spec: SnapshotSpec = {
      typescript: { file: typeScriptFile() },
      launch: path.join(here, "launch.js"),
      preload: [path.join(here, "watch.js"), path.join(here, "startup-snapshot.js"), path.join(here, "../compiler/verify.js")],
      bin: path.resolve(here, "../../bin/tsxdp.js"),
      warmUp: request.files.map((f) => path.resolve(f)),
    };
    const builder = path.resolve(here, "../../bin/snapshot-builder.cjs");
    removeOldSnapshots(path.dirname(request.prefix), request.prefix, keptSnapshots);
    const temporary = `${request.prefix}.${process.pid}.tmp`;
    // Named by when it was made, so that names sort by age (the launcher takes the last), and
    // by its size, so that the launcher never starts Node on a torn file (a truncated
    // snapshot crashes Node before any of our code runs).
    const made = `${request.prefix}-${String(Date.now()).padStart(13, "0")}`;
    const script = [
      `"$1" --snapshot-blob "$2" --build-snapshot "$3" >/dev/null 2>&1`,
      `&& size=$(stat -c %s -- "$2") && mv -f -- "$2" "$4-$size.blob"`,
      `; rm -f -- "$2" "$5"`,
    ].join(" ");
    const child = spawn("/bin/sh", ["-c", script, "sh", process.execPath, temporary, builder, made, lock], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, TSXDP_SNAPSHOT_SPEC: JSON.stringify(spec), TSXDP_SNAPSHOT: "" },
    });
    child.on("error", () => fs.rmSync(lock, { force: true }));
    child.unref();
  } catch {
    // Only the next command's speed depends on it.
  }
}

function takeLock(lock: string): boolean {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.closeSync(fs.openSync(lock, "wx"));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return false;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs < staleLockMs) return false;
        fs.rmSync(lock, { force: true });
      } catch {
        return false;
      }
    }
  }
  return false;
}
