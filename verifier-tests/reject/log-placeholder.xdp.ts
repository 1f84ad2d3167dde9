// Rejected: unknown placeholders, and display hints that do not fit the argument's type.
import { XdpContext, XDP, EthHdr, FixedArray, log, u16, u32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  log.info("{:d}", ctx.len); // @expect TSX4053
  log.info("{:mac}", ctx.len); // @expect TSX4053
  log.info("{:ipv4}", eth.src); // @expect TSX4053
  log.info("unclosed {", ctx.len); // @expect TSX4053
  return XDP.PASS;
}
