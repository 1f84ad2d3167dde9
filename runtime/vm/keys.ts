// Map keys as JavaScript Map keys: 1–4 byte keys become numbers, longer ones strings of
// 16-bit code units (two key bytes each), built without allocating an intermediate array.
export type KeyId = number | string;

export function keyId(bytes: Uint8Array, offset: number, size: number): KeyId {
  switch (size) {
    case 1:
      return bytes[offset]!;
    case 2:
      return bytes[offset]! | (bytes[offset + 1]! << 8);
    case 4:
      return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
    case 8: {
      // Two words as one exact number while the high one is below 2^21 (IPv4 pairs, small
      // counters); otherwise the string form, which never equals a number.
      const high = bytes[offset + 4]! | (bytes[offset + 5]! << 8) | (bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 24);
      if (high >>> 0 < 0x200000)
        return (
          high * 4294967296 + ((bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0)
        );
    }
  }
  let id = "";
  let i = 0;
  for (; i + 1 < size; i += 2) id += String.fromCharCode(bytes[offset + i]! | (bytes[offset + i + 1]! << 8));
  if (i < size) id += String.fromCharCode(bytes[offset + i]! | (0x10000 >> 1));
  return id;
}
