// Reading the kernel verifier's log out of libbpf's output, and the line of it that says why
// a program was rejected: used by BpfObject.load (VerifierError) and by the compiler's
// `tsxdp build --verify` (through bpftool). Plain text functions: loading this module loads
// neither the native addon nor anything else of the runtime.

/** The verifier's part of libbpf's output: between its BEGIN/END PROG LOAD LOG markers, else libbpf's own lines (or all of it). */
export function extractVerifierLog(output: string): string {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => /-- BEGIN PROG LOAD LOG --/.test(l));
  if (start >= 0) {
    const end = lines.findIndex((l, i) => i > start && /-- END PROG LOAD LOG --/.test(l));
    return lines
      .slice(start + 1, end > start ? end : undefined)
      .join("\n")
      .trim();
  }
  const libbpf = lines.filter((l) => l.startsWith("libbpf:"));
  return (libbpf.length ? libbpf : lines).join("\n").trim();
}

/**
 * The line that says why: the last message that is neither statistics, an instruction, a
 * source line nor libbpf's own "failed to load" — or, when the verifier ran out of
 * instructions, that the program is too complex.
 */
export function verifierCause(log: string): string | undefined {
  const lines = log
    .split("\n")
    .map((l) => l.replace(/^libbpf: /, "").trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (/^processed \d+ insns/.test(l)) {
      const processed = Number(/processed (\d+)/.exec(l)?.[1]);
      const limit = Number(/\(limit (\d+)\)/.exec(l)?.[1]);
      if (processed > limit) return `the program is too complex: ${l}`;
      continue;
    }
    if (
      /^(verification time|stack depth|mark_read|-- END|-- BEGIN|prog '.*': (failed|BPF program load failed)|failed to load|; |\d+: )/.test(
        l,
      )
    )
      continue;
    return l;
  }
  return undefined;
}
