// Rejected: a log format that is not a string literal (the format must be known when compiling).
import { XdpContext, XDP, EthHdr, FixedArray, log, u16, u32 } from "tsxdp";
function say(format: string): void {
  log.info(format); // @expect TSX4050
}
export function p(ctx: XdpContext): XDP {
  return XDP.PASS;
}
