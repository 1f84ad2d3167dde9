// Operations on a map known only by its fd — the cold paths: a global section after load,
// the CLI's dump of a pinned map, XskMaps. Each opens a native map handle for the call, so
// every buffer is checked against the map's real sizes in one place (native/src/map.c), as
// BpfMap's are; the addon has no second, fd-based set of map operations.
import { native, type NativeMapHandle } from "./native.js";
import { syscallValueSize } from "./map.js";

interface OpenMap {
  readonly handle: NativeMapHandle;
  readonly keySize: number;
  /** Bytes of one value as the syscall sees it (per-CPU maps: every CPU's). */
  readonly valueBytes: number;
}

function withMap<T>(fd: number, use: (map: OpenMap) => T): T {
  const n = native();
  const info = n.mapInfo(fd);
  const valueBytes = syscallValueSize(info.type, info.valueSize);
  const handle = n.mapOpen(fd, info.keySize, valueBytes);
  try {
    return use({ handle, keySize: info.keySize, valueBytes });
  } finally {
    n.mapClose(handle);
  }
}

/** The value stored at `key` (every CPU's, for per-CPU maps), or undefined when absent. */
export function lookupByFd(fd: number, key: Uint8Array): Uint8Array | undefined {
  return withMap(fd, (map) => {
    const value = new Uint8Array(map.valueBytes);
    return native().mapLookupInto(map.handle, key, value, 0) ? value : undefined;
  });
}

export function updateByFd(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): void {
  withMap(fd, (map) => native().mapUpdateElem(map.handle, key, value, flags));
}

/** false when the key was absent. */
export function deleteByFd(fd: number, key: Uint8Array): boolean {
  return withMap(fd, (map) => native().mapDeleteElem(map.handle, key));
}

/**
 * Calls `visit` with each [key, value] in key order, at most `limit` times; both buffers are
 * reused for the next entry (one value in memory at a time, whatever the map holds).
 */
export function forEachEntryByFd(fd: number, limit: number, visit: (key: Uint8Array, value: Uint8Array) => void): void {
  withMap(fd, (map) => {
    const n = native();
    const keys = [new Uint8Array(map.keySize), new Uint8Array(map.keySize)];
    const value = new Uint8Array(map.valueBytes);
    let cursor: Uint8Array | null = null;
    for (let i = 0; i < limit; i++) {
      const key = keys[i % 2]!;
      if (!n.mapNextKeyInto(map.handle, cursor, key)) break;
      cursor = key;
      if (n.mapLookupInto(map.handle, key, value, 0)) visit(key, value);
    }
  });
}

/** How many keys the map has, counting at most `limit` (a BPF_MAP_GET_NEXT_KEY walk; no value is read). */
export function countKeysByFd(fd: number, limit: number): number {
  return withMap(fd, (map) => {
    const keys = [new Uint8Array(map.keySize), new Uint8Array(map.keySize)];
    let count = 0;
    for (let cursor: Uint8Array | null = null; count < limit; count++) {
      const next = keys[count % 2]!;
      if (!native().mapNextKeyInto(map.handle, cursor, next)) break;
      cursor = next;
    }
    return count;
  });
}
