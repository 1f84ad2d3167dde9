// What a test creates outside its own process (network namespaces, the processes started in
// them) must not outlive it. netns.ts and topology.ts remove it in `finally`, but SIGTERM (a
// CI timeout) or SIGINT (Ctrl-C) ends Node without running any `finally` or 'exit' listener.
// So a helper registers how to remove what it creates, before creating it, until it has
// removed it: on SIGTERM/SIGINT every registered removal runs and the signal is raised again,
// so the process still ends by that signal (its parent sees the same status); on 'exit'
// (process.exit, an uncaught error, a test that forgot remove()) whatever is still
// registered is removed. Removals are synchronous: nothing asynchronous runs after 'exit'.
// The listeners are installed only while something is registered, so in between the process
// has Node's default signal behaviour.
import os from "node:os";

const removals = new Set<{ remove: () => void }>();
const signals = ["SIGTERM", "SIGINT"] as const;

/**
 * Runs `remove` (synchronous, best effort) if the process ends by SIGTERM, SIGINT or exit
 * before the returned `forget()` is called. Call `forget()` once the thing is removed.
 */
export function removeAtProcessEnd(remove: () => void): () => void {
  const entry = { remove };
  removals.add(entry);
  if (removals.size === 1) listen();
  return () => {
    if (removals.delete(entry) && removals.size === 0) unlisten();
  };
}

function listen(): void {
  for (const signal of signals) process.on(signal, onSignal);
  process.on("exit", removeAll);
}

function unlisten(): void {
  for (const signal of signals) process.removeListener(signal, onSignal);
  process.removeListener("exit", removeAll);
}

function removeAll(): void {
  unlisten();
  for (const entry of [...removals]) {
    removals.delete(entry);
    try {
      entry.remove();
    } catch {
      // best effort: the others are still removed
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  // A listener of the program's own heard this signal too and decides how the process ends,
  // as it would have without ours.
  if (process.listenerCount(signal) > 0) return;
  // With no listener left Node restores the default action, so raising the signal again ends
  // the process by it; a signal a thread sends itself is delivered before kill() returns.
  process.kill(process.pid, signal);
  process.exit(128 + os.constants.signals[signal]);
}
