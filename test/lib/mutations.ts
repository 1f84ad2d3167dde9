// Program mutations for fuzzing the compiler, one copy for test/compiler/mutations.test.ts (a
// fixed number of variants per program, fixed seeds) and scripts/fuzz-compiler.mjs (variants
// until its time is up; it imports this module from dist/test/lib after a build). A variant
// is the program truncated, with lines deleted or with tokens inserted: text close to a
// valid program, so every pass sees inputs near the ones it was written for.

/** Text inserted into programs: pieces of the subset and of what it refuses. */
export const mutationTokens: readonly string[] = [
  "null",
  "0",
  "-1",
  "u8",
  "(",
  ")",
  "{",
  "}",
  ";",
  "ctx",
  "eth",
  "1.5",
  '"s"',
  "as any",
  "!",
  ".x",
  "[0]",
  "=>",
  "class",
  "while (true)",
  "+ 1",
  "* 4",
  "u32(",
  "ip.ihl",
  "65535",
  "let ",
  "const ",
  "return XDP.DROP;",
  "if (",
  "=== null",
];

/** Numbers in [0, 1) from `seed` (a linear congruential generator): one seed, one sequence of variants. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A variant of `text`: truncated (1 in 5), one to three lines deleted (3 in 10), or one to three tokens inserted. */
export function mutate(text: string, random: () => number): string {
  const r = random();
  if (r < 0.2) return text.slice(0, Math.floor(random() * text.length));
  if (r < 0.5) {
    const lines = text.split("\n");
    lines.splice(Math.floor(random() * lines.length), 1 + Math.floor(random() * 3));
    return lines.join("\n");
  }
  // The bound is drawn again at every step (still 1-3 tokens): kept, so a seed gives the
  // variants it gave before.
  for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
    const at = Math.floor(random() * text.length);
    text = text.slice(0, at) + mutationTokens[Math.floor(random() * mutationTokens.length)] + text.slice(at);
  }
  return text;
}
