// Where and how a build writes its files. Every output is written to a new temporary file
// in its folder and renamed over the target, so a reader never sees half an object and a
// symlink planted at the target is replaced, never written through. (Hand-written: the
// npm module write-file-atomic resolves symlinks and writes to their target, the one thing
// this must not do.) Problems with the folder are errors in words, not exceptions.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

/** An output folder or file that cannot be written: a usage or environment error. */
export class OutputError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`cannot write '${target}': ${reason}`);
  }
}

const reasons: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOTDIR: "a part of the path is not a folder",
  ENOSPC: "no space left on the device",
  ENAMETOOLONG: "the name is too long",
  ENOENT: "the folder cannot be created there",
  EEXIST: "a part of the path exists and is not a folder",
};

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${reasons[code] ?? (error as Error).message} (${code})` : String(error);
}

/** Creates `dir` when missing; throws OutputError when it cannot hold outputs. */
export function prepareOutputFolder(dir: string): void {
  if (dir === "") throw new OutputError(dir, "the output folder name is empty");
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = undefined;
  }
  if (stat && !stat.isDirectory()) throw new OutputError(dir, "it exists and is not a folder");
  try {
    if (!stat) makeFolders(dir);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new OutputError(dir, reasonOf(error));
  }
}

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdirSync loops forever where a
 * parent exists but refuses children with ENOENT (`-o /proc/out`).
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !fs.existsSync(at); at = path.dirname(at)) {
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const folder of missing) fs.mkdirSync(folder);
}

/** Writes `data` to `target` through a temporary file in the same folder and a rename. */
export function writeOutput(target: string, data: string | Uint8Array): void {
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    // "wx": O_CREAT | O_EXCL, which fails rather than follow a symlink someone put there.
    fs.writeFileSync(temporary, data, { flag: "wx", mode: 0o644 });
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new OutputError(target, reasonOf(error));
  }
}
