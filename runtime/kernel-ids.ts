// Walking the kernel's objects of one kind by id, as bpftool does: BPF_*_GET_NEXT_ID, then
// an fd for each id. An id freed between the two steps is skipped.
import { native } from "./native.js";
import { explain } from "./errors.js";
import { Errno } from "./kernel.js";

const walkers = {
  map: { next: (id: number) => native().mapNextId(id), open: (id: number) => native().mapFdById(id), what: "map" },
  program: { next: (id: number) => native().progNextId(id), open: (id: number) => native().progFdById(id), what: "program" },
  link: { next: (id: number) => native().linkNextId(id), open: (id: number) => native().linkFdById(id), what: "link" },
} as const;

/** Each loaded map, program or link with an fd the caller owns (and closes), in id order; at most `limit`. */
export function* kernelObjects(kind: keyof typeof walkers, limit = 1 << 20): Generator<{ readonly id: number; readonly fd: number }> {
  const walker = walkers[kind];
  let id = 0;
  for (let i = 0; i < limit; i++) {
    try {
      id = walker.next(id);
    } catch (error) {
      throw explain(error, `list the kernel's BPF ${walker.what}s`);
    }
    if (id === 0) return;
    let fd: number;
    try {
      fd = walker.open(id);
    } catch (error) {
      if ((error as { errno?: number }).errno === Errno.ENOENT) continue; // freed since the walk saw it
      throw explain(error, `open BPF ${walker.what} id ${id}`);
    }
    yield { id, fd };
  }
}
