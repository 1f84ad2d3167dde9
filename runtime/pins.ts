// What a bpffs pin holds. The kernel names the kind of an fd in /proc/self/fdinfo; a map pin
// opens as a typed BpfMap, a program or link pin is described.
import fs from "node:fs";
import { native } from "./native.js";
import { explain } from "./errors.js";
import { BpfMap } from "./map.js";

export type Pin =
  | { readonly kind: "map"; readonly map: BpfMap }
  | { readonly kind: "program"; readonly name: string; readonly id: number }
  | { readonly kind: "link"; readonly id: number; readonly progId: number; readonly ifindex: number }
  | { readonly kind: "unknown" };

/** The kind of object an fd refers to, from its fdinfo. */
function fdKind(fd: number): Pin["kind"] {
  let info = "";
  try {
    info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
  } catch {
    return "unknown";
  }
  if (/^map_type:/m.test(info)) return "map";
  if (/^prog_type:/m.test(info)) return "program";
  if (/^link_type:/m.test(info)) return "link";
  return "unknown";
}

/**
 * Opens the pin at `file`: a map (typed from its own BTF, see BpfMap.fromFd) holds the pin's
 * fd until the caller closes it; for anything else the fd is closed before returning.
 */
export function openPin(file: string): Pin {
  let fd: number;
  try {
    fd = native().objGet(file);
  } catch (error) {
    throw explain(error, `open the pin ${file} (is it on a BPF filesystem?)`);
  }
  const kind = fdKind(fd);
  if (kind === "map") return { kind, map: BpfMap.adoptFd(fd) };
  try {
    if (kind === "program") {
      const { name, id } = native().progInfo(fd);
      return { kind, name, id };
    }
    if (kind === "link") {
      const { id, progId, ifindex } = native().linkInfo(fd);
      return { kind, id, progId, ifindex };
    }
    return { kind };
  } finally {
    native().close(fd);
  }
}
