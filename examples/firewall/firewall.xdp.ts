// firewall.xdp.ts
import {
  XdpContext, XDP, HashMap, PerCpuArray, EthHdr, Ipv4Hdr,
  ETH_P_IP, htons, sizeof, atomicAdd, log, be32, u32, u64,
} from "tsxdp";

/** IPv4 source addresses to drop (network byte order) -> packets dropped. */
export const blocklist = new HashMap<be32, u64>({ maxEntries: 4096 });
/** Packets seen, indexed by verdict. */
export const verdicts = new PerCpuArray<u64>({ maxEntries: 5 });

function count(action: XDP): XDP {
  const n = verdicts.lookup(action);
  if (n !== null) n.value += 1;
  return action;
}

export function firewall(ctx: XdpContext): XDP {
  const eth = ctx.header<EthHdr>(0);
  if (eth === null) return count(XDP.ABORTED);
  if (eth.proto !== htons(ETH_P_IP)) return count(XDP.PASS);

  const ip = ctx.header<Ipv4Hdr>(sizeof<EthHdr>());
  if (ip === null) {
    log.warn("IPv4 header cut short: {} bytes", ctx.len);
    return count(XDP.ABORTED);
  }

  const drops = blocklist.lookup(ip.saddr);
  if (drops !== null) {
    atomicAdd(drops, 1);
    log.info("dropped {:ipv4}", ip.saddr);
    return count(XDP.DROP);
  }
  return count(XDP.PASS);
}
