// Rejected: per-CPU map values over the kernel's per-CPU unit (32 KiB, after rounding up to
// 8 bytes) are refused when the map is created (E2BIG); 32768 bytes is the largest that loads.
import { XdpContext, XDP, PerCpuArray, PerCpuHashMap, LruPerCpuHashMap, FixedArray, u8, u32 } from "tsxdp";
interface Largest { bytes: FixedArray<u8, 32768>; }
interface Over { bytes: FixedArray<u8, 32769>; }
export const fits = new PerCpuArray<Largest>({ maxEntries: 1 });
export const array = new PerCpuArray<Over>({ maxEntries: 1 }); // @expect TSX4014
export const hash = new PerCpuHashMap<u32, FixedArray<u8, 40000>>({ maxEntries: 4 }); // @expect TSX4014
export const lru = new LruPerCpuHashMap<u32, Over>({ maxEntries: 4 }); // @expect TSX4014
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
