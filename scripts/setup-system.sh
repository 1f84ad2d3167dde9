#!/usr/bin/env bash
# System packages tsxdp needs (Debian 12): LLVM for the compiler, libbpf/libxdp for the
# native addon, clang for the C twins in tests and benchmarks, bpftool and iproute2 for
# kernel tests. Idempotent: installs only what is missing.
set -euo pipefail
packages=(llvm clang-14 libbpf-dev libxdp-dev libelf-dev zlib1g-dev pkg-config bpftool iproute2 iputils-ping procps util-linux ethtool xdp-tools tcpdump)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# bpffs for pinning (present on most systems; tests pin under /sys/fs/bpf/tsxdp-test-*).
# Mode 0700, as systemd mounts it: without mode= the root is 1777, and any user may make
# folders there that a pinning process would otherwise take for its own.
mount_bpffs() {
  mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf || true
}
mount_bpffs
