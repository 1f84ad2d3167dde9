// What both the machine and the helpers need: the fault a program raises, and the kernel
// limits the helpers enforce (a module of its own, so helpers.ts and machine.ts do not
// import each other).

/** A fault inside a program, before it is given the program's name and line. */
export class VmFault extends Error {
  constructor(
    readonly pc: number,
    message: string,
  ) {
    super(message);
  }
}

/** sizeof(struct xdp_frame): adjust_head/meta never move data below it. */
export const XDP_FRAME_SIZE = 40;

/** MAX_TAIL_CALL_CNT: the 34th bpf_tail_call of a run fails and the program goes on. */
export const MAX_TAIL_CALLS = 33;
