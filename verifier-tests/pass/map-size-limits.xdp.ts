// The largest map shapes the kernel creates: a per-CPU value of 32 KiB (PCPU_MIN_UNIT_SIZE)
// and an LpmTrie key of prefixlen plus 256 bytes of data (LPM_KEY_SIZE_MAX). One byte more
// is TSX4014 / TSX4015 (verifier-tests/reject/per-cpu-value-too-large, lpm-key-too-large).
import { XdpContext, XDP, PerCpuArray, LpmTrie, FixedArray, zero, u8, u32 } from "tsxdp";

interface Scratch {
  bytes: FixedArray<u8, 32768>;
}
interface Prefix {
  prefixlen: u32;
  data: FixedArray<u8, 256>;
}

export const scratch = new PerCpuArray<Scratch>({ maxEntries: 1 });
export const prefixes = new LpmTrie<Prefix, u32>({ maxEntries: 4 });

export function limits(ctx: XdpContext): XDP {
  const s = scratch.lookup(0);
  if (s === null) return XDP.ABORTED;
  s.bytes[32767] = u8(ctx.len);
  const key = zero<Prefix>();
  key.prefixlen = 2048;
  key.data[255] = 1;
  return prefixes.lookup(key) === null ? XDP.PASS : XDP.DROP;
}
