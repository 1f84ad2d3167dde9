// bpf_trace_printk's formatting: the kernel's bstr_printf subset the verifier allows
// (%d %i %u %x %X %c %s %p with h/hh/l/ll, width, '-', '0'), the arguments as u64.
export function formatPrintk(format: string, args: bigint[], readString: (address: bigint) => string): string {
  let next = 0;
  return format.replace(
    /%([-0]*)(\d*)(hh|h|ll|l|z)?([diuxXcsp%])/g,
    (whole, flags: string, width: string, length: string | undefined, conversion: string) => {
      if (conversion === "%") return "%";
      const raw = args[next++] ?? 0n;
      const bits = length === "ll" || length === "l" || length === "z" ? 64 : length === "h" ? 16 : length === "hh" ? 8 : 32;
      let text: string;
      switch (conversion) {
        case "d":
        case "i":
          text = BigInt.asIntN(bits, raw).toString();
          break;
        case "u":
          text = BigInt.asUintN(bits, raw).toString();
          break;
        case "x":
          text = BigInt.asUintN(bits, raw).toString(16);
          break;
        case "X":
          text = BigInt.asUintN(bits, raw).toString(16).toUpperCase();
          break;
        case "c":
          text = String.fromCharCode(Number(raw & 0xffn));
          break;
        case "s":
          text = readString(raw);
          break;
        default:
          text = `0x${BigInt.asUintN(64, raw).toString(16)}`;
      }
      const size = Number(width || 0);
      if (text.length >= size) return text;
      if (flags.includes("-")) return text.padEnd(size);
      if (flags.includes("0") && conversion !== "s" && conversion !== "c")
        return text.startsWith("-") ? `-${text.slice(1).padStart(size - 1, "0")}` : text.padStart(size, "0");
      void whole;
      return text.padStart(size);
    },
  );
}
