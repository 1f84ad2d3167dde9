// Bounded loops over FixedArray fields: `for` with a constant bound, `break`, `continue`,
// indexes the compiler proves in range (a loop counter below the length), and a struct map
// value holding a FixedArray.
import { XdpContext, XDP, EthHdr, ArrayMap, FixedArray, u8, u32, u64 } from "tsxdp";

export interface MacAddr {
  bytes: FixedArray<u8, 6>;
}

/** Slot 0: this host's MAC address. */
export const ourMac = new ArrayMap<MacAddr>({ maxEntries: 1 });
/** Frames seen: 0 unicast to us, 1 broadcast, 2 multicast, 3 other hosts. */
export const seen = new ArrayMap<u64>({ maxEntries: 4 });

function countAs(index: u32): void {
  const n = seen.lookup(index);
  if (n !== null) n.value += 1;
}

export function macFilter(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.DROP;
  const mine = ourMac.lookup(0);
  if (mine === null) return XDP.PASS;

  let same = true;
  for (let i = 0; i < 6; i++) {
    if (eth.dst[i] !== mine.bytes[i]) {
      same = false;
      break;
    }
  }
  if (same) {
    countAs(0);
    return XDP.PASS;
  }

  let ones = 0;
  for (let i = 0; i < 6; i++) {
    if (eth.dst[i] !== 0xff) continue;
    ones += 1;
  }
  if (ones === 6) {
    countAs(1);
    return XDP.PASS;
  }
  if ((eth.dst[0] & 1) !== 0) {
    countAs(2);
    return XDP.PASS;
  }
  countAs(3);
  return XDP.DROP;
}
