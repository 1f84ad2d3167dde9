// Writing bit fields: strip ECN negotiation from TCP (clear ECE and CWR), which changes one
// 16-bit header word (data offset, reserved bits, flags); the word is rebuilt from the bit
// fields before and after to update the TCP checksum incrementally.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, TcpHdr, ETH_P_IP, IPPROTO_TCP,
  htons, sizeof, csumReplace16, be16, u16,
} from "tsxdp";

/** TCP header bytes 12-13: doff(4) res1(4) cwr ece urg ack psh rst syn fin. */
function flagsWord(tcp: TcpHdr): be16 {
  return htons(
    (u16(tcp.doff) << 12) | (u16(tcp.res1) << 8) |
    (u16(tcp.cwr) << 7) | (u16(tcp.ece) << 6) | (u16(tcp.urg) << 5) | (u16(tcp.ack) << 4) |
    (u16(tcp.psh) << 3) | (u16(tcp.rst) << 2) | (u16(tcp.syn) << 1) | u16(tcp.fin),
  );
}

export function bitfields(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.protocol !== IPPROTO_TCP || ip.ihl < 5 || ip.version !== 4) return XDP.PASS;
  const tcp = ctx.header<TcpHdr>(sizeof<EthHdr>() + ip.ihl * 4);
  if (tcp === null) return XDP.PASS;
  if (tcp.ece === 0 && tcp.cwr === 0) return XDP.PASS;

  const before = flagsWord(tcp);
  tcp.ece = 0;
  tcp.cwr = 0;
  tcp.check = csumReplace16(tcp.check, before, flagsWord(tcp));
  return XDP.PASS;
}
