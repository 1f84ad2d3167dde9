// Helpers calling helpers (three deep), nested ternaries, void helpers that write through a
// view parameter, early returns, and reading bit fields (version, ihl) into a header word.
// The program marks the DSCP of TCP/UDP packets by destination port and keeps the IPv4
// header checksum valid with an incremental update.
import {
  XdpContext, XDP, EthHdr, Ipv4Hdr, UdpHdr, ETH_P_IP, IPPROTO_TCP, IPPROTO_UDP,
  htons, ntohs, sizeof, csumReplace16, be16, u8, u16,
} from "tsxdp";

const CLASS_DEFAULT = 0;
const CLASS_INTERACTIVE = 1;
const CLASS_SYSTEM = 2;
const CLASS_BULK = 3;

function classOfPort(port: u16): u8 {
  return port < 1024 ? (port === 22 ? CLASS_INTERACTIVE : CLASS_SYSTEM) : port >= 49152 ? CLASS_BULK : CLASS_DEFAULT;
}

function dscpFor(cls: u8): u8 {
  return cls === CLASS_INTERACTIVE ? 46 : cls === CLASS_SYSTEM ? 26 : cls === CLASS_BULK ? 8 : 0;
}

/** The first 16-bit word of the IPv4 header: version, IHL, TOS. */
function versionIhlTos(ip: Ipv4Hdr): be16 {
  return htons((u16(ip.version) << 12) | (u16(ip.ihl) << 8) | ip.tos);
}

function setDscp(ip: Ipv4Hdr, dscp: u8): void {
  const before = versionIhlTos(ip);
  ip.tos = (dscp << 2) | (ip.tos & 0x03); // keep the ECN bits
  ip.check = csumReplace16(ip.check, before, versionIhlTos(ip));
}

function mark(ip: Ipv4Hdr, port: be16): void {
  setDscp(ip, dscpFor(classOfPort(ntohs(port))));
}

export function helpers(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null || eth.proto !== htons(ETH_P_IP)) return XDP.PASS;
  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null || ip.ihl < 5) return XDP.PASS;
  if (ip.protocol !== IPPROTO_TCP && ip.protocol !== IPPROTO_UDP) return XDP.PASS;
  // TCP and UDP both start with the source and destination ports.
  const ports = ctx.header<UdpHdr>(sizeof<EthHdr>() + ip.ihl * 4);
  if (ports === null) return XDP.PASS;
  mark(ip, ports.dest);
  return XDP.PASS;
}
