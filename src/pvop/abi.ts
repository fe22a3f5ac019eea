/**
 * The x86-64 ABI facts pvopc compiles against: which registers a clobber set may name, the
 * Linux `CLBR_*` mask bits the patch table stores, and the two built-in calling conventions.
 * The front end checks against these sets; the code generator emits thunks and patch records
 * from them. A clobber set is a CLBR bit mask (a `number`), exactly what `.parainstructions`
 * records, so the model, the patch table and the patcher never translate between forms.
 */
import { registerByName, type Register } from "../x86/registers.js";

/** The registers a clobber set can name, in CLBR bit order (bit 0 = rax ... bit 8 = r11). */
export const CLOBBERABLE: readonly Register[] = ["rax", "rcx", "rdx", "rdi", "rsi", "r8", "r9", "r10", "r11"].map(
  (name) => registerByName(name)!,
);

/** Registers every convention preserves: they are never in a clobber set. */
export const ALWAYS_PRESERVED: readonly Register[] = ["rbx", "rsp", "rbp", "r12", "r13", "r14", "r15"].map(
  (name) => registerByName(name)!,
);

/** The CLBR bit of a 64-bit register, or undefined when no clobber set may contain it. */
export function clobberBit(reg: Register): number | undefined {
  const i = CLOBBERABLE.indexOf(reg);
  return i < 0 ? undefined : 1 << i;
}

export const CLBR_NONE = 0;
export const CLBR_RAX = 1 << 0;
export const CLBR_RCX = 1 << 1;
export const CLBR_RDX = 1 << 2;
export const CLBR_RDI = 1 << 3;
export const CLBR_RSI = 1 << 4;
export const CLBR_R8 = 1 << 5;
export const CLBR_R9 = 1 << 6;
export const CLBR_R10 = 1 << 7;
export const CLBR_R11 = 1 << 8;
export const CLBR_ANY = (1 << CLOBBERABLE.length) - 1;
export const CLBR_ARG_REGS = CLBR_RDI | CLBR_RSI | CLBR_RDX | CLBR_RCX | CLBR_R8 | CLBR_R9;
export const CLBR_RET_REG = CLBR_RAX;
export const CLBR_SCRATCH = CLBR_R10 | CLBR_R11;
export const CLBR_CALLEE_SAVE = (CLBR_ARG_REGS | CLBR_SCRATCH) & ~CLBR_RET_REG;

/** The mask of a list of registers; every register must be clobberable. */
export function clobberMask(regs: readonly Register[]): number {
  let mask = 0;
  for (const r of regs) {
    const bit = clobberBit(r);
    if (bit === undefined) throw new Error(`${r.name} cannot be in a clobber set`);
    mask |= bit;
  }
  return mask;
}

/** The registers of a mask, in CLBR bit order. */
export function registersOfMask(mask: number): Register[] {
  return CLOBBERABLE.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** `rax, rdi` or `none`: how messages and docs write a clobber set. */
export function describeMask(mask: number): string {
  const regs = registersOfMask(mask);
  return regs.length ? regs.map((r) => r.name).join(", ") : "none";
}

/**
 * A calling convention: where arguments arrive, where the result goes, and which registers
 * (besides the arithmetic flags, which every convention lets a callee clobber) the callee may
 * leave changed.
 */
export interface Convention {
  readonly name: string;
  readonly args: readonly Register[];
  readonly returns: Register;
  /** CLBR mask of the registers a callee may clobber. */
  readonly clobbers: number;
}

const reg = (name: string) => registerByName(name)!;
const SYSV_ARGS = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"].map(reg);

/** The System V AMD64 ABI: a callee may clobber rax rcx rdx rsi rdi r8-r11. */
export const CONVENTION_C: Convention = { name: "c", args: SYSV_ARGS, returns: reg("rax"), clobbers: CLBR_ANY };

/** Paravirt callee-save: only the return register may change; the argument registers survive. */
export const CONVENTION_CALLEE_SAVE: Convention = {
  name: "callee_save",
  args: SYSV_ARGS,
  returns: reg("rax"),
  clobbers: CLBR_RET_REG,
};

export const BUILTIN_CONVENTIONS: readonly Convention[] = [CONVENTION_C, CONVENTION_CALLEE_SAVE];

/**
 * The order `__raw_callee_save_*` thunks push registers in (Linux's PV_SAVE_ALL_CALLER_REGS,
 * with rax first for ops whose clobber set excludes even the return register); they pop in
 * reverse. A thunk saves those of them its op's clobber set does not allow.
 */
export const THUNK_SAVE_ORDER: readonly Register[] = ["rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"].map(reg);

/** What a thunk around a `c` function must save so that callers see only `opClobbers` change. */
export function thunkSaves(opClobbers: number): Register[] {
  return THUNK_SAVE_ORDER.filter((r) => (opClobbers & clobberBit(r)!) === 0);
}

/** True when two conventions agree on arguments, return register and clobbers. */
export function sameConvention(a: Convention, b: Convention): boolean {
  return a.returns === b.returns && a.clobbers === b.clobbers && a.args.length === b.args.length && a.args.every((r, i) => r === b.args[i]);
}
