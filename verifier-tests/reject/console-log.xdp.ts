// Logs with console.log and uses Math.min: neither exists in a program running in the kernel.
import { XdpContext, XDP, u32 } from "tsxdp";

export function consoleLog(ctx: XdpContext): XDP {
  const len: u32 = Math.min(ctx.len, 1500); // @expect TS2304 TSX1025
  console.log(len); // @expect TS2584 TSX1025
  return XDP.PASS;
}
