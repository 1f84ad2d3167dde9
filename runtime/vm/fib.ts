// bpf_fib_lookup against a routing table the test supplies (the VM has no kernel FIB):
// longest-prefix match over IPv4 routes, then the neighbour's MAC, with the kernel's return
// codes and the fields the kernel writes back into struct bpf_fib_lookup.
import { ipv4, mac } from "../xdp.js";

export interface VmRoute {
  /** "10.1.0.0/16"; "0.0.0.0/0" is the default route. */
  destination: string;
  /** The egress interface. */
  ifindex: number;
  /** Next hop; absent for a directly connected network (the destination is its own next hop). */
  gateway?: string;
  /** unicast (default), local (an address of this host: not forwarded), blackhole, unreachable, prohibit. */
  type?: "unicast" | "local" | "blackhole" | "unreachable" | "prohibit";
  /** Path MTU (default 1500): a larger tot_len is BPF_FIB_LKUP_RET_FRAG_NEEDED. */
  mtu?: number;
  /** The egress interface's MAC. */
  sourceMac?: string | Uint8Array;
}

export interface VmFibTable {
  routes: VmRoute[];
  /** Neighbours (ARP entries): next-hop IPv4 → MAC. A missing one is BPF_FIB_LKUP_RET_NO_NEIGH. */
  neighbours?: Record<string, string | Uint8Array>;
  /** IPv4 forwarding on the ingress interface (default true); off: BPF_FIB_LKUP_RET_FWD_DISABLED. */
  forwarding?: boolean;
}

export const FibResult = {
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
} as const;
const FibFlag = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 } as const;
const AF_INET = 2;
const AF_INET6 = 10;
/** sizeof(struct bpf_fib_lookup) */
export const FIB_PARAMS_SIZE = 64;

interface CompiledRoute {
  network: number;
  bits: number;
  route: VmRoute;
}

export class Fib {
  private readonly routes: CompiledRoute[];
  private readonly neighbours = new Map<number, Uint8Array>();
  constructor(readonly table: VmFibTable = { routes: [] }) {
    this.routes = table.routes
      .map((route) => {
        const [address, length] = route.destination.split("/");
        const bits = length === undefined ? 32 : Number(length);
        if (!Number.isInteger(bits) || bits < 0 || bits > 32)
          throw new TypeError(`route '${route.destination}': the prefix length must be 0…32`);
        return { network: maskTo(ipv4(address!), bits), bits, route };
      })
      .sort((a, b) => b.bits - a.bits);
    for (const [address, hw] of Object.entries(table.neighbours ?? {}))
      this.neighbours.set(ipv4(address), typeof hw === "string" ? mac(hw) : hw);
  }

  /** Fills `params` (64 bytes at `offset`) like bpf_fib_lookup; returns its result code or a negative errno. */
  lookup(params: DataView, offset: number, flags: number): number {
    if (flags & ~(FibFlag.DIRECT | FibFlag.OUTPUT | FibFlag.SKIP_NEIGH | FibFlag.TBID | FibFlag.SRC)) return -22;
    const family = params.getUint8(offset);
    if (family === AF_INET6) return FibResult.NOT_FWDED;
    if (family !== AF_INET) return -97;
    if (!(flags & FibFlag.OUTPUT) && this.table.forwarding === false) return FibResult.FWD_DISABLED;
    const destination = params.getUint32(offset + 32, false);
    const match = this.routes.find((r) => maskTo(destination, r.bits) === r.network);
    if (!match) return FibResult.NOT_FWDED;
    const { route } = match;
    switch (route.type ?? "unicast") {
      case "blackhole":
        return FibResult.BLACKHOLE;
      case "unreachable":
        return FibResult.UNREACHABLE;
      case "prohibit":
        return FibResult.PROHIBIT;
      case "local":
        return FibResult.NOT_FWDED;
    }
    const mtu = route.mtu ?? 1500;
    const totLen = params.getUint16(offset + 6, true);
    if (totLen > mtu) {
      params.setUint16(offset + 6, mtu, true);
      return FibResult.FRAG_NEEDED;
    }
    params.setUint32(offset + 12, 0, true); // rt_metric
    params.setUint32(offset + 8, route.ifindex, true);
    const nextHop = route.gateway ? ipv4(route.gateway) : destination;
    params.setUint32(offset + 32, nextHop, false);
    if (!(flags & FibFlag.SKIP_NEIGH)) {
      const neighbour = this.neighbours.get(nextHop);
      if (!neighbour) return FibResult.NO_NEIGH;
      new Uint8Array(params.buffer, params.byteOffset + offset + 58, 6).set(neighbour);
      const source =
        route.sourceMac === undefined ? new Uint8Array(6) : typeof route.sourceMac === "string" ? mac(route.sourceMac) : route.sourceMac;
      new Uint8Array(params.buffer, params.byteOffset + offset + 52, 6).set(source);
    }
    params.setUint32(offset + 48, 0, true); // h_vlan_proto, h_vlan_TCI
    return FibResult.SUCCESS;
  }
}

function maskTo(address: number, bits: number): number {
  return bits === 0 ? 0 : (address & (~0 << (32 - bits))) >>> 0;
}
