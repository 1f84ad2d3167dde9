// tsxdp/packets: build test packets layer by layer, take packets apart again (with checksum
// validity), and read and write pcap files. No kernel and no native addon needed.
export {
  buildPacket,
  bytesOf,
  layerKind,
  EtherType,
  IpProtocol,
  type Layer,
  type EthernetLayer,
  type VlanLayer,
  type ArpLayer,
  type Ipv4Layer,
  type Ipv6Layer,
  type Ipv6ExtensionLayer,
  type UdpLayer,
  type TcpLayer,
  type IcmpLayer,
  type PayloadBytes,
} from "./build.js";
export { dissect, checksumProblems, formatPacket, type DissectedLayer } from "./dissect.js";
export { onesComplementSum, internetChecksum, pseudoHeaderSum } from "./checksum.js";
export { ipv6Bytes, formatIpv6, formatMac, ipv4Bytes, formatIpv4Bytes } from "./addresses.js";
export { readPcap, writePcap, parsePcap, encodePcap, type PcapPacket } from "../pcap.js";
export { ipv4, formatIpv4, mac } from "../xdp.js";
