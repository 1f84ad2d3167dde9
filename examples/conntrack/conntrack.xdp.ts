// Connection tracking: every TCP/UDP flow (the 5-tuple, as seen on the wire) gets an entry
// in an LRU hash map with packet and byte counters; TCP flows also follow the handshake
// and teardown through their flags. Node lists the flows (examples/conntrack/main.ts).
import {
  XdpContext, XDP, LruHashMap, EthHdr, Ipv4Hdr, TcpHdr, UdpHdr, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP,
  htons, sizeof, atomicAdd, ktimeGetNs, be16, be32, u8, u32, u64, BPF_NOEXIST,
  log,
} from "tsxdp";

export interface FlowKey {
  saddr: be32;
  daddr: be32;
  sport: be16;
  dport: be16;
  proto: u8;
}

export const enum TcpState {
  None = 0,
  SynSent = 1,
  SynReceived = 2,
  Established = 3,
  Closing = 4,
  Closed = 5,
}

export interface Flow {
  packets: u64;
  bytes: u64;
  firstSeen: u64;
  lastSeen: u64;
  state: u8;
}

export const flows = new LruHashMap<FlowKey, Flow>({ maxEntries: 65536 });

/** The next TCP state of a flow, from the flags of one packet in its direction. */
function nextState(state: u8, syn: u32, ack: u32, fin: u32, rst: u32): u8 {
  if (rst !== 0) return TcpState.Closed;
  if (fin !== 0) return state === TcpState.Closing ? TcpState.Closed : TcpState.Closing;
  if (syn !== 0) return ack !== 0 ? TcpState.SynReceived : TcpState.SynSent;
  if (ack !== 0 && (state === TcpState.SynSent || state === TcpState.SynReceived)) return TcpState.Established;
  return state;
}

export function conntrack(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return XDP.PASS;
  const l4 = sizeof<EthHdr>() + u32(ip.ihl) * 4;
  const key: FlowKey = { saddr: ip.saddr, daddr: ip.daddr, sport: htons(0), dport: htons(0), proto: ip.protocol };
  let syn: u32 = 0;
  let ack: u32 = 0;
  let fin: u32 = 0;
  let rst: u32 = 0;
  if (ip.protocol === IPPROTO_TCP) {
    const tcp = ctx.header<TcpHdr>(l4);
    if (tcp === null) return XDP.PASS;
    key.sport = tcp.source;
    key.dport = tcp.dest;
    syn = tcp.syn;
    ack = tcp.ack;
    fin = tcp.fin;
    rst = tcp.rst;
  } else if (ip.protocol === IPPROTO_UDP) {
    const udp = ctx.header<UdpHdr>(l4);
    if (udp === null) return XDP.PASS;
    key.sport = udp.source;
    key.dport = udp.dest;
  } else {
    return XDP.PASS;
  }

  const now = ktimeGetNs();
  const len = ctx.len;
  const flow = flows.lookup(key);
  if (flow === null) {
    const fresh: Flow = { packets: 1, bytes: len, firstSeen: now, lastSeen: now, state: nextState(TcpState.None, syn, ack, fin, rst) };
    flows.update(key, fresh, BPF_NOEXIST);
    log.debug("new flow {:ipv4}:{} -> {:ipv4}:{} proto {}", key.saddr, key.sport, key.daddr, key.dport, key.proto);
    return XDP.PASS;
  }
  atomicAdd(flow.packets, 1);
  atomicAdd(flow.bytes, len);
  flow.lastSeen = now;
  if (ip.protocol === IPPROTO_TCP) flow.state = nextState(flow.state, syn, ack, fin, rst);
  return XDP.PASS;
}
