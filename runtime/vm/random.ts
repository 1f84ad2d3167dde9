// bpf_get_prandom_u32 in the VM: a seeded xorshift128 (deterministic for a given seed).
export class Prandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  constructor(seed: number) {
    this.seed(seed);
  }
  seed(seed: number): void {
    // splitmix32 spreads a small seed over the state (xorshift must not start at zero)
    let x = seed >>> 0;
    const mix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = mix() | 1;
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
  }
  next(): number {
    let t = this.s3;
    const s = this.s0;
    this.s3 = this.s2;
    this.s2 = this.s1;
    this.s1 = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.s0 = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.s0;
  }
}
