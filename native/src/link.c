// BPF links of XDP programs (placeholder; filled in below).
