/** The ABI register sets match Linux's CLBR_* masks and the System V convention. */
import { describe, expect, it } from "vitest";
import * as abi from "../../src/pvop/abi.js";
import { registerByName } from "../../src/x86/registers.js";

describe("abi", () => {
  it("has Linux's clobber mask bits", () => {
    expect([abi.CLBR_RAX, abi.CLBR_RCX, abi.CLBR_RDX, abi.CLBR_RDI, abi.CLBR_RSI, abi.CLBR_R8, abi.CLBR_R11]).toEqual([1, 2, 4, 8, 16, 32, 256]);
    expect(abi.CLBR_ANY).toBe(0x1ff);
    expect(abi.CLBR_ARG_REGS).toBe(8 | 16 | 4 | 2 | 32 | 64);
    expect(abi.CLBR_CALLEE_SAVE).toBe((abi.CLBR_ARG_REGS | abi.CLBR_SCRATCH) & ~abi.CLBR_RET_REG);
    expect(abi.clobberBit(registerByName("rbx")!)).toBeUndefined();
    expect(abi.clobberBit(registerByName("eax")!)).toBeUndefined();
    expect(abi.registersOfMask(abi.CLBR_SCRATCH).map((r) => r.name)).toEqual(["r10", "r11"]);
    expect(abi.describeMask(0)).toBe("none");
  });

  it("has the built-in conventions", () => {
    expect(abi.CONVENTION_C.args.map((r) => r.name)).toEqual(["rdi", "rsi", "rdx", "rcx", "r8", "r9"]);
    expect(abi.CONVENTION_C.clobbers).toBe(abi.CLBR_ANY);
    expect(abi.CONVENTION_CALLEE_SAVE.clobbers).toBe(abi.CLBR_RAX);
    expect(abi.sameConvention(abi.CONVENTION_C, abi.CONVENTION_CALLEE_SAVE)).toBe(false);
    expect(abi.sameConvention(abi.CONVENTION_C, { ...abi.CONVENTION_C, name: "other" })).toBe(true);
  });

  it("thunks save what c may clobber and the op may not, in the kernel's order", () => {
    expect(abi.thunkSaves(abi.CLBR_RAX).map((r) => r.name)).toEqual(["rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"]);
    expect(abi.thunkSaves(abi.CLBR_NONE).map((r) => r.name)[0]).toBe("rax");
    expect(abi.thunkSaves(abi.CLBR_ANY)).toEqual([]);
  });
});
