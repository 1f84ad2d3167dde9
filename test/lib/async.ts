// Bounded waits for async iterators, so a test whose records never arrive fails in words
// instead of hanging the run.

/**
 * The first `count` values of `iterable`, or an error naming how many arrived within `ms`.
 * On time-out the iterator is left pending (an async generator cannot be returned while a
 * next() is outstanding); closing its source ends it.
 */
export async function takeWithin<T>(iterable: AsyncIterable<T>, count: number, ms: number, what = "records"): Promise<T[]> {
  const iterator = iterable[Symbol.asyncIterator]();
  const out: T[] = [];
  const deadline = Date.now() + ms;
  while (out.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()))));
    const next = await Promise.race([iterator.next(), timeout]);
    clearTimeout(timer);
    if (next === "timeout") throw new Error(`only ${out.length} of ${count} ${what} arrived within ${ms} ms`);
    if (next.done) break;
    out.push(next.value);
  }
  await iterator.return?.();
  return out;
}
