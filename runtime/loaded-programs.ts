// Programs loaded in the kernel by anyone (another process, a pin, `ip link … xdp obj`),
// found by id as `bpftool prog` finds them, with the maps each uses, and where XDP programs
// are attached. What ties a process to an object it did not load: `tsxdp logs` finds the
// ring of its file's programs this way. Read-only: every fd opened here is closed here.
import fs from "node:fs";
import { native } from "./native.js";
import { explain } from "./errors.js";
import { BPF_LINK_TYPE_XDP, BPF_PROG_TYPE_XDP, Errno } from "./kernel.js";
import { kernelObjects } from "./kernel-ids.js";

/** What the kernel says about a loaded program. */
export interface LoadedProgram {
  readonly id: number;
  /** As the kernel keeps it: at most 15 characters. */
  readonly name: string;
  /** The kernel's hash of the instructions with map references zeroed: equal tags, same code. */
  readonly tag: string;
  /** The maps the program uses (a map freed meanwhile is left out). */
  readonly maps: readonly { readonly id: number; readonly name: string; readonly type: number }[];
}

/** Where an XDP program is attached. */
export interface XdpAttachment {
  readonly progId: number;
  readonly ifindex: number;
  /** The interface's name, when it is in this process's network namespace. */
  readonly ifname?: string;
  readonly holder: "link" | "netlink";
}

/**
 * Every loaded XDP program `select` keeps (called with what the kernel says before the maps
 * are read, so skipping costs one syscall), in id order: the newest last.
 */
export function loadedXdpPrograms(select: (program: Omit<LoadedProgram, "maps">) => boolean = () => true): LoadedProgram[] {
  const programs: LoadedProgram[] = [];
  for (const { id, fd } of kernelObjects("program")) {
    let identity: ReturnType<ReturnType<typeof native>["progIdentity"]>;
    try {
      identity = native().progIdentity(fd);
    } catch (error) {
      throw explain(error, `read what program id ${id} is`);
    } finally {
      native().close(fd);
    }
    const { mapIds, type, ...program } = identity;
    if (type === BPF_PROG_TYPE_XDP && select(program)) programs.push({ ...program, maps: mapIds.flatMap((mapId) => mapById(mapId)) });
  }
  return programs;
}

function mapById(id: number): { id: number; name: string; type: number }[] {
  let fd: number;
  try {
    fd = native().mapFdById(id);
  } catch (error) {
    if ((error as { errno?: number }).errno === Errno.ENOENT) return []; // freed since
    throw explain(error, `open BPF map id ${id}`);
  }
  try {
    const { name, type } = native().mapInfo(fd);
    return [{ id, name, type }];
  } finally {
    native().close(fd);
  }
}

/**
 * The XDP programs attached now: through BPF links (in any network namespace: a link knows
 * only its ifindex, which namespaces reuse, so it is named only when this namespace's
 * interface of that index reports the same program) and through netlink on this namespace's
 * interfaces. An interface with programs in two modes reports no single program and is left
 * out.
 */
export function xdpAttachments(): XdpAttachment[] {
  const here = new Map<number, { ifname: string; progId: number }>();
  let names: string[] = [];
  try {
    names = fs.readdirSync("/sys/class/net");
  } catch {
    // No sysfs: only links are seen.
  }
  for (const ifname of names) {
    try {
      const ifindex = native().ifIndex(ifname);
      const { progId } = native().xdpQuery(ifindex);
      if (progId) here.set(ifindex, { ifname, progId });
    } catch {
      // Not in this namespace (sysfs mounted by another), or gone meanwhile.
    }
  }
  const attachments: XdpAttachment[] = [];
  const linked = new Set<number>();
  for (const { id, fd } of kernelObjects("link")) {
    let info: ReturnType<ReturnType<typeof native>["linkInfo"]>;
    try {
      info = native().linkInfo(fd);
    } catch (error) {
      throw explain(error, `read what link id ${id} is`);
    } finally {
      native().close(fd);
    }
    if (info.type !== BPF_LINK_TYPE_XDP || !info.progId) continue; // a detached link has no program
    const local = here.get(info.ifindex);
    const ifname = local && local.progId === info.progId ? local.ifname : undefined;
    if (ifname) linked.add(info.ifindex);
    attachments.push({ progId: info.progId, ifindex: info.ifindex, ifname, holder: "link" });
  }
  for (const [ifindex, { ifname, progId }] of here)
    if (!linked.has(ifindex)) attachments.push({ progId, ifindex, ifname, holder: "netlink" });
  return attachments;
}
