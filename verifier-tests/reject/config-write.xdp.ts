// Rejected: Writes into struct configuration, which lives in the read-only .rodata.
import { XdpContext, XDP, FixedArray, config, atomicAdd, u8, u32 } from "tsxdp";
interface Inner { n: u32; }
interface Settings { limit: u32; inner: Inner; bytes: FixedArray<u8, 4>; }
export const settings = config<Settings>({ limit: 10 });
export function p(ctx: XdpContext): XDP {
  settings.inner.n = 1; // @expect TSX2019
  settings.bytes[0] = 1; // @expect TSX2019
  atomicAdd(settings.inner.n, 1); // @expect TSX2019
  return ctx.len > settings.limit ? XDP.DROP : XDP.PASS;
}
