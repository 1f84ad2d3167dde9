// Rejected: log calls whose placeholders and arguments do not pair up.
import { XdpContext, XDP, EthHdr, FixedArray, log, u16, u32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  log.info("len {} of {}", ctx.len); // @expect TSX4051
  log.info("len", ctx.len); // @expect TSX4051
  return XDP.PASS;
}
