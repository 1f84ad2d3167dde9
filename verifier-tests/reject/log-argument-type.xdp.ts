// Rejected: logging a byte array longer than a record carries (at most 16 bytes).
import { XdpContext, XDP, EthHdr, FixedArray, log, u16, u32 } from "tsxdp";
import { zero, u8 } from "tsxdp";
interface Wide { key: FixedArray<u8, 32> }
export function p(ctx: XdpContext): XDP {
  const wide = zero<Wide>();
  log.info("key {}", wide.key); // @expect TSX4052
  return XDP.PASS;
}
