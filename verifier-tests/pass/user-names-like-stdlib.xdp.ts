// The user's own functions named like stdlib ones (htons, printk, sizeof) are the user's:
// names are resolved through the checker, never matched by their text.
import { XdpContext, XDP, u16, u32 } from "tsxdp";

function htons(x: u16): u16 {
  return u16(x + 1);
}
function printk(a: u32, b: u32, c: u32, d: u32, e: u32): u32 {
  return a + b + c + d + e;
}
function sizeof(x: u32): u32 {
  return x * 2;
}

export function userNames(ctx: XdpContext): XDP {
  const k = htons(1);
  if (k !== 2) return XDP.ABORTED;
  if (printk(1, 2, 3, 4, 5) !== 15) return XDP.ABORTED;
  if (sizeof(4) !== 8) return XDP.ABORTED;
  return ctx.len >= 14 ? XDP.TX : XDP.DROP;
}
