// Rejected: an LpmTrie key over LPM_KEY_SIZE_MAX (prefixlen and 256 bytes of data) is refused
// when the map is created (EINVAL); 256 bytes of data is the largest that loads.
import { XdpContext, XDP, LpmTrie, FixedArray, u8, u32 } from "tsxdp";
interface Largest { prefixlen: u32; data: FixedArray<u8, 256>; }
interface Over { prefixlen: u32; data: FixedArray<u8, 257>; }
export const fits = new LpmTrie<Largest, u32>({ maxEntries: 4 });
export const over = new LpmTrie<Over, u32>({ maxEntries: 4 }); // @expect TSX4015
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
