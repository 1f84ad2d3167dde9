// Values shared with programs: the XDP verdicts, and address helpers.
export enum XDP {
  ABORTED = 0,
  DROP = 1,
  PASS = 2,
  TX = 3,
  REDIRECT = 4,
}

/** "10.0.0.1" → 0x0a000001 (host order; a be32 map key takes it as is). */
export function ipv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new TypeError(`not an IPv4 address: '${text}'`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** 0x0a000001 → "10.0.0.1" */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((s) => (value >>> s) & 0xff).join(".");
}

/** "02:00:00:00:00:01" → Uint8Array(6) */
export function mac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new TypeError(`not a MAC address: '${text}'`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}
