// The test suite's packets come from the public builder (tsxdp/packets); these are the short
// names the tests use.
export {
  buildPacket as build,
  checksumProblems,
  internetChecksum as checksum,
  ipv6Bytes,
  formatIpv4,
  type Layer,
} from "../../runtime/packets/index.js";
