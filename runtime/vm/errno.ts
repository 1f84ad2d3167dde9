// errno numbers the VM returns to programs (negative) and throws to the runtime (as the
// native addon does: an Error with `errno`, which runtime/errors.ts turns into a code).
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EAGAIN: 11,
  E2BIG: 7,
  EBADF: 9,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  ENOTSUPP: 524,
} as const;

export function errnoError(errno: number, message: string): Error {
  return Object.assign(new Error(message), { errno });
}
