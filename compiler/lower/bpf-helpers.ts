// Calls to kernel BPF helpers: `call i64 inttoptr (i64 ID to ptr)(…)`, the form clang emits
// for `static long (*bpf_x)(…) = (void *) ID;`. IDs are the kernel's `enum bpf_func_id`.
import type { FunctionState } from "./context.js";

// One table of ids for the compiler and the VM (the kernel's enum bpf_func_id).
export { BpfFuncId as BpfHelper } from "../../runtime/kernel.js";

/** Emits a helper call; `args` are typed operands ("ptr %x", "i64 4"). */
export function callHelper(fs: FunctionState, id: number, returns: "i64" | "ptr", args: string[]): string {
  return fs.fb.value(`call ${returns} inttoptr (i64 ${id} to ptr)(${args.join(", ")})`);
}

/** A value in a fresh stack slot, for helpers that take a pointer (map keys and values). */
export function spill(fs: FunctionState, llType: string, operand: string, size: number): string {
  const ptr = fs.fb.alloca(llType, size);
  fs.stackBytes += size;
  fs.fb.inst(`store ${llType} ${operand}, ptr ${ptr}, align ${size}`);
  return ptr;
}
