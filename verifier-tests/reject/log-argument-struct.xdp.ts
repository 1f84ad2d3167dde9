// Rejected: logging a struct or a non-byte array (TypeScript already refuses: LogArgument).
import { XdpContext, XDP, EthHdr, FixedArray, log, u16, u32 } from "tsxdp";
export function p(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return XDP.ABORTED;
  log.info("{}", eth); // @expect TS2345
  return XDP.PASS;
}
