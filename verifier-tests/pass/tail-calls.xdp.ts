// tailCall(progs, index): `dispatch` jumps by IP protocol to another program of the same
// object through a ProgArray that user space fills with program fds. A change to the packet
// made before the jump is seen by the target; an empty slot makes tailCall return and
// dispatch gives its own verdict. (tailCall is void: the verifier forbids reading
// bpf_tail_call's result, see reject/tail-call-result.xdp.ts.)
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, ProgArray, ArrayMap, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP,
  htons, sizeof, tailCall, u32, u64,
} from "tsxdp";

/** Slot 1: the UDP handler, 2: the TCP handler, 3: anything else. */
export const handlers = new ProgArray({ maxEntries: 4 });
/** 0: dispatched, 1: UDP handler ran, 2: TCP handler ran, 3: fell through. */
export const hits = new ArrayMap<u64>({ maxEntries: 4 });

function count(index: u32): void {
  const n = hits.lookup(index);
  if (n !== null) n.value += 1;
}

export function dispatch(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  count(0);
  const slot: u32 = ip.protocol === IPPROTO_UDP ? 1 : ip.protocol === IPPROTO_TCP ? 2 : 3;
  eth.src[0] = 0xaa; // visible to the target of the jump
  tailCall(handlers, slot);
  count(3);
  return XDP.PASS;
}

export function udpHandler(ctx: XdpContext): XDP {
  count(1);
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  return eth.src[0] === 0xaa ? XDP.DROP : XDP.ABORTED;
}

export function tcpHandler(ctx: XdpContext): XDP {
  count(2);
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  eth.src[1] = 0xbb;
  return XDP.TX;
}
