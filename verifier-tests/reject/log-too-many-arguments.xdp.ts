// Rejected: more than 8 arguments in one log call.
import { XdpContext, XDP, EthHdr, FixedArray, log, u16, u32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  log.info("{} {} {} {} {} {} {} {} {}", 1, 2, 3, 4, 5, 6, 7, 8, 9); // @expect TSX4054
  return XDP.PASS;
}
