// The Internet checksum (RFC 1071) and the pseudo-headers of UDP, TCP and ICMPv6.

/** The 16-bit one's-complement sum of `bytes` (odd lengths padded with a zero byte). */
export function onesComplementSum(bytes: ArrayLike<number>, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum to store in a header whose checksum field is zero: ~sum. */
export function internetChecksum(bytes: ArrayLike<number>, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}

/** The sum of the pseudo-header an upper-layer checksum covers (RFC 768/793, RFC 8200 §8.1). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  const v6 = src.length === 16;
  const header = v6
    ? [...src, ...dst, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, 0, 0, protocol]
    : [...src, ...dst, 0, protocol, (length >>> 8) & 0xff, length & 0xff];
  return onesComplementSum(header);
}
