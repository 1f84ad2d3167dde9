// RingBuf.output of a struct record, printk with a literal format and integer arguments,
// and the kernel-time and random helpers (ktimeGetNs, ktimeGetBootNs, prandomU32,
// smpProcessorId) used so that the outcome is deterministic: `checks` holds 1 for every
// property that must hold, and the ring buffer's return code.
import {
  XdpContext, XDP, EthHdr, RingBuf, ArrayMap,
  ntohs, ktimeGetNs, ktimeGetBootNs, prandomU32, smpProcessorId, printk, u16, u32, u64, i64, BPF_F_NUMA_NODE,
} from "tsxdp";

export interface Event {
  timestamp: u64;
  len: u32;
  proto: u16;
  cpu: u16;
}

export const events = new RingBuf<Event>({ maxBytes: 4096 * 4, flags: BPF_F_NUMA_NODE });
/** 0: output result (0 = ok), 1: clock is monotonic, 2: boot clock ran, 3: random in range, 4: cpu in range. */
export const checks = new ArrayMap<i64>({ maxEntries: 5 });

const MAX_CPUS = 4096;

function record(index: u32, value: i64): void {
  const slot = checks.lookup(index);
  if (slot !== null) slot.value = value;
}

export function ringbufPrintk(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;

  const t1 = ktimeGetNs();
  const t2 = ktimeGetNs();
  const cpu = smpProcessorId();
  const event: Event = { timestamp: t1, len: ctx.len, proto: ntohs(eth.proto), cpu: u16(cpu) };
  record(0, events.output(event));
  record(1, t2 >= t1 ? 1 : 0);
  record(2, ktimeGetBootNs() > 0 ? 1 : 0);
  record(3, prandomU32() % 100 < 100 ? 1 : 0);
  record(4, cpu < MAX_CPUS ? 1 : 0);
  printk("tsxdp: proto %x len %u", ntohs(eth.proto), ctx.len);
  return XDP.PASS;
}
