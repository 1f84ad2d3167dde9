// Alias scopes for the two kinds of memory a BPF program reaches through pointers that LLVM
// cannot tell apart: the packet (pointers made from ctx->data by inttoptr) and map values
// (pointers returned by bpf_map_lookup_elem). They never overlap, which C conveys through
// type-based alias analysis (`ip->check` is a __sum16 store, `t->addr` a __u32 load) and
// tsxdp through scoped `noalias` metadata: a load from a map value then stays in a register
// across stores into the packet. Helper calls carry no metadata, so LLVM still assumes they
// may change either.
import type { ModuleBuilder } from "./module.js";

export type MemoryRegion = "packet" | "map";

const scopes = new WeakMap<ModuleBuilder, Record<MemoryRegion, { scope: string; others: string }>>();

/** `, !alias.scope !A, !noalias !B` for an access into `region` (empty when unknown). */
export function aliasMetadata(module: ModuleBuilder, region: MemoryRegion | undefined): string {
  if (!region) return "";
  let s = scopes.get(module);
  if (!s) {
    const domain = module.reserveMeta();
    module.fillMeta(domain, `distinct !{${domain}, !"tsxdp memory"}`);
    const scope = (name: string) => {
      const ref = module.reserveMeta();
      module.fillMeta(ref, `distinct !{${ref}, ${domain}, !"${name}"}`);
      return ref;
    };
    const packet = scope("packet");
    const map = scope("map value");
    const packetList = module.meta(`!{${packet}}`);
    const mapList = module.meta(`!{${map}}`);
    s = { packet: { scope: packetList, others: mapList }, map: { scope: mapList, others: packetList } };
    scopes.set(module, s);
  }
  return `, !alias.scope ${s[region].scope}, !noalias ${s[region].others}`;
}
