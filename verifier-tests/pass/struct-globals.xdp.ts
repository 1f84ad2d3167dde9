// Struct and FixedArray configuration (.rodata) and globals (.data/.bss): constant initial
// values with nested structs, byte arrays and htons; fields read, written and atomically
// added in a program; ctx.len inside map-value arithmetic.
import { XdpContext, XDP, FixedArray, PerCpuArray, config, global, htons, ntohs, atomicAdd, be16, u8, u16, u32, u64, bool } from "tsxdp";

interface Inner { a: u8; b: u32; }
interface Limits { maxLen: u16; port: be16; inner: Inner; mac: FixedArray<u8, 6>; words: FixedArray<u16, 3>; on: bool; }
interface Stats { packets: u64; bytes: u64; last: Inner; port: u16; }
interface Counter { packets: u64; bytes: u32; }

export const limits = config<Limits>({ maxLen: 100, port: htons(53), inner: { a: 1, b: 2 }, mac: [2, 0, 0, 0, 0, 1], words: [7, 8] });
export const stats = global<Stats>();
export const hist = global<FixedArray<u32, 4>>([1, 2, 3, 4]);
export const PORT = config<be16>(htons(80));
export const counters = new PerCpuArray<Counter>({ maxEntries: 1 });

export function structGlobals(ctx: XdpContext): XDP {
  stats.packets += 1;
  atomicAdd(stats.bytes, ctx.len);
  stats.last.a = limits.inner.a;
  stats.last.b = limits.inner.b + u32(limits.words[1]);
  stats.port = ntohs(limits.port);
  hist[1] += 1;
  const c = counters.lookup(0);
  if (c !== null) c.bytes += ctx.len;
  if (limits.on) return XDP.DROP;
  if (limits.port === PORT) return XDP.TX;
  return ctx.len > limits.maxLen ? XDP.DROP : XDP.PASS;
}
