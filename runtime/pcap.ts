// Classic libpcap files (what tcpdump -w writes): read all packets, write packets.
// Microsecond and nanosecond timestamp variants, both byte orders, Ethernet link type.
import fs from "node:fs";

export interface PcapPacket {
  timestampNs: bigint;
  data: Uint8Array;
  /** Length on the wire (may exceed data.length when the capture was truncated). */
  originalLength: number;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;

/** Every packet of a pcap file. */
export function readPcap(file: string): PcapPacket[] {
  return parsePcap(fs.readFileSync(file), file);
}

/** Every packet of pcap bytes (`source` names them in errors). */
export function parsePcap(bytes: Uint8Array, source = "pcap data"): PcapPacket[] {
  const file = source;
  if (bytes.length < 24) throw new Error(`${file}: not a pcap file (too short)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = view.getUint32(0, true);
  const magicBE = view.getUint32(0, false);
  const little = magicLE === MAGIC_US || magicLE === MAGIC_NS;
  if (!little && magicBE !== MAGIC_US && magicBE !== MAGIC_NS)
    throw new Error(`${file}: not a pcap file (bad magic; pcapng is not supported: convert with editcap -F pcap)`);
  const nanos = (little ? magicLE : magicBE) === MAGIC_NS;
  const linkType = view.getUint32(20, little);
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`${file}: link type ${linkType} is not Ethernet`);
  const packets: PcapPacket[] = [];
  let off = 24;
  while (off + 16 <= bytes.length) {
    const sec = view.getUint32(off, little);
    const frac = view.getUint32(off + 4, little);
    const captured = view.getUint32(off + 8, little);
    const original = view.getUint32(off + 12, little);
    off += 16;
    if (off + captured > bytes.length) throw new Error(`${file}: truncated packet record at byte ${off}`);
    packets.push({
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nanos ? 1n : 1000n),
      data: new Uint8Array(bytes.subarray(off, off + captured)),
      originalLength: original,
    });
    off += captured;
  }
  if (off !== bytes.length) throw new Error(`${file}: truncated packet record at byte ${off}`);
  return packets;
}

/** Writes a pcap file (nanosecond timestamps, Ethernet) that tcpdump and Wireshark read. */
export function writePcap(file: string, packets: readonly { data: Uint8Array; timestampNs?: bigint }[]): void {
  fs.writeFileSync(file, encodePcap(packets));
}

/** The bytes of a pcap file holding `packets`. */
export function encodePcap(packets: readonly { data: Uint8Array; timestampNs?: bigint }[]): Uint8Array {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(MAGIC_NS, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const chunks: Buffer[] = [header];
  for (const p of packets) {
    const record = Buffer.alloc(16);
    const ts = p.timestampNs ?? 0n;
    record.writeUInt32LE(Number(ts / 1_000_000_000n), 0);
    record.writeUInt32LE(Number(ts % 1_000_000_000n), 4);
    record.writeUInt32LE(p.data.length, 8);
    record.writeUInt32LE(p.data.length, 12);
    chunks.push(record, Buffer.from(p.data));
  }
  return new Uint8Array(Buffer.concat(chunks));
}
