// Every map kind of LANGUAGE.md, each used the way an XDP program uses it.
import {
  XdpContext, XDP, HashMap, LruHashMap, PerCpuHashMap, LruPerCpuHashMap, ArrayMap, PerCpuArray,
  LpmTrie, DevMap, DevMapHash, CpuMap, XskMap, ProgArray, RingBuf, Ipv4Hdr, EthHdr, FixedArray,
  sizeof, tailCall, atomicAdd, ktimeGetNs, smpProcessorId, be32, u32, u64, u8, BPF_NOEXIST,
} from "tsxdp";

interface Prefix { prefixlen: u32; addr: be32; }
interface Sample { ts: u64; cpu: u32; len: u32; }
interface Counters { packets: u64; bytes: u64; }

export const hash = new HashMap<be32, Counters>({ maxEntries: 64 });
export const lru = new LruHashMap<be32, u64>({ maxEntries: 64 });
export const perCpuHash = new PerCpuHashMap<u32, u64>({ maxEntries: 8 });
export const lruPerCpu = new LruPerCpuHashMap<u32, u64>({ maxEntries: 8 });
export const array = new ArrayMap<Counters>({ maxEntries: 4 });
export const perCpu = new PerCpuArray<u64>({ maxEntries: 4 });
export const routes = new LpmTrie<Prefix, u32>({ maxEntries: 16 });
export const ports = new DevMap({ maxEntries: 4 });
export const portsByIndex = new DevMapHash({ maxEntries: 4 });
export const cpus = new CpuMap({ maxEntries: 2 });
export const sockets = new XskMap({ maxEntries: 4 });
export const jumps = new ProgArray({ maxEntries: 2 });
export const samples = new RingBuf<Sample>({ maxBytes: 4096 });
export const scratch = new PerCpuArray<FixedArray<u8, 64>>({ maxEntries: 1 });

export function everything(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;

  const c = hash.lookup(ip.saddr);
  if (c === null) {
    const fresh: Counters = { packets: 1, bytes: ctx.len };
    hash.update(ip.saddr, fresh, BPF_NOEXIST);
  } else {
    atomicAdd(c.packets, 1);
    atomicAdd(c.bytes, ctx.len);
  }
  lru.update(ip.daddr, ktimeGetNs());
  const cpu = smpProcessorId();
  const mine = perCpuHash.lookup(cpu);
  if (mine !== null) mine.value += 1;
  else perCpuHash.update(cpu, 1);
  lruPerCpu.delete(cpu);
  const slot = array.lookup(1);
  if (slot !== null) slot.packets += 1;
  const n = perCpu.lookup(0);
  if (n !== null) n.value += u64(ctx.len);
  const buffer = scratch.lookup(0);
  if (buffer !== null) buffer[0] = ip.ttl;

  const key: Prefix = { prefixlen: 32, addr: ip.daddr };
  const route = routes.lookup(key);
  const sample: Sample = { ts: ktimeGetNs(), cpu, len: ctx.len };
  samples.output(sample);
  tailCall(jumps, 0);
  if (route !== null) {
    switch (route.value) {
      case 0: return ports.redirect(ctx.ingressIfindex, XDP.PASS);
      case 1: return portsByIndex.redirect(ctx.ingressIfindex, XDP.PASS);
      case 2: return cpus.redirect(0, XDP.PASS);
      default: return sockets.redirect(ctx.rxQueueIndex, XDP.PASS);
    }
  }
  return XDP.PASS;
}
