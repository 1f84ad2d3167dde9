// Helpers shared between programs (imported by ../imports.xdp.ts): a module without
// programs, compiled into whichever program imports it.
import { EthHdr, Ipv4Hdr, u8 } from "tsxdp";

export const BROADCAST_OCTET = 0xff;

export function swapMacs(eth: EthHdr): void {
  for (let i = 0; i < 6; i++) {
    const b = eth.dst[i];
    eth.dst[i] = eth.src[i];
    eth.src[i] = b;
  }
}

export function isBroadcast(eth: EthHdr): boolean {
  let octets: u8 = 0;
  for (let i = 0; i < 6; i++) {
    if (eth.dst[i] === BROADCAST_OCTET) octets += 1;
  }
  return octets === 6;
}

export function swapAddresses(ip: Ipv4Hdr): void {
  const a = ip.saddr;
  ip.saddr = ip.daddr;
  ip.daddr = a;
}
