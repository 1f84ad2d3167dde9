// An XDP program: drops UDP packets to one port, counts every verdict.
// `npm run build` compiles it to src/__FILE__.o and the typed skeleton src/__FILE__.skel.js.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, PerCpuArray,
  ETH_P_IP, IPPROTO_UDP, config, htons, sizeof, u16, u64,
} from "tsxdp";

/** The UDP destination port to drop (host order): set from Node before load. */
export const blockedPort = config<u16>(9);
/** Packets seen, indexed by verdict. */
export const verdicts = new PerCpuArray<u64>({ maxEntries: 5 });

function count(verdict: XDP): XDP {
  const n = verdicts.lookup(verdict);
  if (n !== null) n.value += 1;
  return verdict;
}

export function __PROGRAM__(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return count(XDP.ABORTED);
  if (eth.proto !== htons(ETH_P_IP)) return count(XDP.PASS);
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) return count(XDP.ABORTED);
  if (ip.protocol !== IPPROTO_UDP) return count(XDP.PASS);
  const udp = ctx.header<UdpHdr>(sizeof<EthHdr>() + ip.ihl * 4);
  if (udp === null) return count(XDP.ABORTED);
  return count(udp.dest === htons(blockedPort) ? XDP.DROP : XDP.PASS);
}
