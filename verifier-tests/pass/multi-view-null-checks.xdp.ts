import { XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, FibLookup, fibLookup, redirect, HashMap,
  ETH_P_IP, IPPROTO_IPIP, IPPROTO_UDP, AF_INET, BPF_FIB_LKUP_RET_SUCCESS, htons, ntohs, sizeof, u16, u32, be32, be16,
  ipv4Checksum, csumReplace32, csumReplace16, zero } from "tsxdp";

interface NatKey { daddr: be32; dport: be16; proto: u8; }
interface NatValue { daddr: be32; dport: be16; }
import { u8 } from "tsxdp";
export const nat = new HashMap<NatKey, NatValue>({ maxEntries: 256 });

export function push(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const inner = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (inner === null) return XDP.PASS;
  const innerLen = ntohs(inner.totLen);
  const src = inner.saddr;
  if (!ctx.adjustHead(-20)) return XDP.ABORTED;
  const neth = ctx.header<EthHdr>(0);
  const old = ctx.header<EthHdr>(20);
  const outer = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (neth === null || old === null || outer === null) return XDP.ABORTED;
  for (let i = 0; i < 6; i++) { neth.dst[i] = old.dst[i]; neth.src[i] = old.src[i]; }
  neth.proto = htons(ETH_P_IP);
  outer.version = 4;
  outer.ihl = 5;
  outer.tos = 0;
  outer.totLen = htons(innerLen + 20);
  outer.id = htons(0);
  outer.fragOff = htons(0);
  outer.ttl = 64;
  outer.protocol = IPPROTO_IPIP;
  outer.saddr = src;
  outer.daddr = src;
  outer.check = htons(0);
  outer.check = ipv4Checksum(ctx, sizeof<EthHdr>());
  return XDP.TX;
}

export function pop(ctx: XdpContext): XDP {
  const outer = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (outer === null || outer.protocol !== IPPROTO_IPIP) return XDP.PASS;
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  const dst0 = eth.dst[0];
  if (!ctx.adjustHead(20)) return XDP.ABORTED;
  const neth = ctx.header<EthHdr>(0);
  if (neth === null) return XDP.ABORTED;
  neth.dst[0] = dst0;
  neth.proto = htons(ETH_P_IP);
  return XDP.PASS;
}

export function dnat(ctx: XdpContext): XDP {
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + u32(ip.ihl) * 4);
  if (udp === null) return XDP.PASS;
  const key: NatKey = { daddr: ip.daddr, dport: udp.dest, proto: ip.protocol };
  const to = nat.lookup(key);
  if (to === null) return XDP.PASS;
  ip.check = csumReplace32(ip.check, ip.daddr, to.daddr);
  if (udp.check !== htons(0)) {
    udp.check = csumReplace32(udp.check, ip.daddr, to.daddr);
    udp.check = csumReplace16(udp.check, udp.dest, to.dport);
  }
  ip.daddr = to.daddr;
  udp.dest = to.dport;
  const fib = zero<FibLookup>();
  fib.family = AF_INET;
  fib.l4Protocol = ip.protocol;
  fib.sport = udp.source;
  fib.dport = udp.dest;
  fib.totLen = ntohs(ip.totLen);
  fib.ifindex = ctx.ingressIfindex;
  fib.ipv4Src = ip.saddr;
  fib.ipv4Dst = ip.daddr;
  const rc = fibLookup(ctx, fib, 0);
  if (rc !== BPF_FIB_LKUP_RET_SUCCESS) return XDP.PASS;
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.PASS;
  for (let i = 0; i < 6; i++) { eth.dst[i] = fib.dmac[i]; eth.src[i] = fib.smac[i]; }
  return redirect(fib.ifindex, 0);
}
