// `tsxdp build --watch` and `tsxdp check --watch`: one process that keeps the parsed stdlib
// and the last program (FrontendSession), and after each change rebuilds only the roots
// whose import closure holds the changed file — a helper's edit rebuilds every program that
// imports it, and nothing else. Folders are watched, not files: editors save by replacing
// the file, and a deleted file must be seen when it comes back. A syntax error or a missing
// file is a diagnostic like any other; the process keeps watching until it is stopped.
import fs from "node:fs";
import path from "node:path";
import { FrontendSession, dependenciesOf } from "../compiler/index.js";

export interface WatchOptions {
  readonly roots: readonly string[];
  /** Builds (or checks) `roots`, prints what it found; runs one build at a time. */
  readonly run: (roots: readonly string[], session: FrontendSession) => Promise<void>;
  readonly print: (line: string) => void;
  /** Stops watching (tests); the command line runs until the process is interrupted. */
  readonly signal?: AbortSignal;
}

/** Changes within this window are one rebuild (an editor's save is often several events). */
const settleMs = 30;

export async function watch(options: WatchOptions): Promise<void> {
  const session = new FrontendSession();
  const roots = options.roots.map((r) => path.resolve(r));
  const watchers = new Map<string, fs.FSWatcher>();
  const dependencies = new Map<string, Set<string>>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const stamp = () => new Date().toTimeString().slice(0, 8);
  const present = (files: readonly string[]) => {
    const missing = files.filter((f) => !fs.existsSync(f));
    for (const f of missing) options.print(`[${stamp()}] ${path.relative(process.cwd(), f)}: no such file (waiting for it to come back)`);
    return files.filter((f) => !missing.includes(f));
  };
  let built = false;
  const rebuild = async (targets: readonly string[]) => {
    const started = performance.now();
    const existing = present(targets);
    if (existing.length) await options.run(existing, session);
    for (const root of existing) dependencies.set(root, new Set(dependenciesOf(session, root)));
    for (const file of [...roots, ...[...dependencies.values()].flatMap((s) => [...s])]) watchFolder(path.dirname(file));
    built = true;
    options.print(
      `[${stamp()}] ${existing.length ? `${built ? "rebuilt" : "built"} ${existing.map((f) => path.relative(process.cwd(), f)).join(", ")} in ${Math.round(performance.now() - started)} ms; ` : ""}watching for changes`,
    );
  };
  const affected = (changed: ReadonlySet<string>) =>
    roots.filter((root) => changed.has(root) || [...(dependencies.get(root) ?? [])].some((f) => changed.has(f)));
  const flush = () => {
    timer = undefined;
    const changed = pending;
    pending = new Set();
    const targets = affected(changed);
    if (targets.length) running = running.then(() => rebuild(targets));
  };
  const watchFolder = (dir: string) => {
    if (watchers.has(dir) || !fs.existsSync(dir)) return;
    const watcher = fs.watch(dir, (_event, name) => {
      if (!name) return;
      pending.add(path.join(dir, name.toString()));
      if (!timer) timer = setTimeout(flush, settleMs);
    });
    watcher.on("error", () => watchers.delete(dir));
    watchers.set(dir, watcher);
  };

  running = rebuild(roots);
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) return resolve();
    options.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  if (timer) clearTimeout(timer);
  for (const watcher of watchers.values()) watcher.close();
  await running;
}
