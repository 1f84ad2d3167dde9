// Address text ⇄ bytes for packets: IPv6 (RFC 4291 text forms, RFC 5952 output), and the
// byte forms of the IPv4 and MAC helpers the runtime already has.
import { ipv4, mac } from "../xdp.js";

/** "2001:db8::1" → 16 bytes (an embedded IPv4 tail such as "::ffff:10.0.0.1" is accepted). */
export function ipv6Bytes(text: string): Uint8Array {
  let body = text;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4Tail) {
    const n = ipv4(v4Tail[1]!);
    body = `${body.slice(0, v4Tail.index)}${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = body.split("::");
  const words = (s: string | undefined) =>
    s ? s.split(":").map((h) => (/^[0-9a-fA-F]{1,4}$/.test(h) ? Number.parseInt(h, 16) : Number.NaN)) : [];
  const head = words(halves[0]);
  const tail = halves.length === 2 ? words(halves[1]) : [];
  const all = halves.length === 2 ? [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  if (halves.length > 2 || all.length !== 8 || all.some((w) => Number.isNaN(w))) throw new TypeError(`not an IPv6 address: '${text}'`);
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** 16 bytes → the RFC 5952 text ("2001:db8::1"): lower case, the longest zero run as "::". */
export function formatIpv6(bytes: ArrayLike<number>): string {
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

/** 6 bytes → "02:00:00:00:00:01". */
export function formatMac(bytes: ArrayLike<number>): string {
  return Array.from({ length: 6 }, (_, i) => (bytes[i] ?? 0).toString(16).padStart(2, "0")).join(":");
}

/** "10.0.0.1" → its 4 bytes in network order. */
export function ipv4Bytes(text: string): Uint8Array {
  const n = ipv4(text);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** 4 bytes in network order → "10.0.0.1". */
export function formatIpv4Bytes(bytes: ArrayLike<number>): string {
  return Array.from({ length: 4 }, (_, i) => bytes[i] ?? 0).join(".");
}

export { mac as macBytes };
