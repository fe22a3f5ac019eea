/**
 * NOP fill exactly as GNU as 2.40 pads 64-bit code (.align/.p2align/.balign in a code section,
 * and `.nops`): one-instruction NOPs of 1 to 11 bytes, longer runs made of 11-byte NOPs followed
 * by one remainder NOP, and a jmp over padding longer than seven 11-byte NOPs.
 *
 * The patterns are the table's `nop` forms encoded with the memory operand as pads them
 * (`nopl 0x0(%rax,%rax,1)` with a disp8 or disp32 of zero, `nopw` for the 66-prefixed ones);
 * only the 10- and 11-byte ones add what no assembler statement can say: one or two 66 bytes in
 * front of a cs override (as writes them ahead of the segment prefix, which its own prefix order
 * would never do for an instruction it assembles).
 */
import { encodeInstruction, isEncodeError } from "./encode.js";
import type { Instruction, MemoryOperand } from "./instruction.js";
import { registerByName } from "./registers.js";
import { FORMS, type Form } from "./table.js";

/** The longest single NOP as emits in 64-bit code. */
export const MAX_NOP = 11;

function nopForm(opsize: 0 | 16 | 32): Form {
  const form = FORMS.find((f) => f.sem === "nop" && f.mnemonic === "nop" && f.opsize === opsize && !f.alias);
  if (!form) throw new Error(`the table has no ${opsize}-bit nop form`);
  return form;
}

function pattern(length: number): Uint8Array {
  const rax = registerByName("rax")!;
  const mem = (dispBits: 8 | 32 | undefined, indexed: boolean): MemoryOperand => ({
    kind: "mem",
    base: rax,
    ...(indexed ? { index: rax } : {}),
    scale: 1,
    disp: 0n,
    ...(dispBits ? { dispBits } : {}),
  });
  const nop = (opsize: 16 | 32, operand: MemoryOperand, cs = false): Instruction => ({
    form: nopForm(opsize),
    operands: [operand],
    prefixes: cs ? { seg: registerByName("cs")! } : {},
  });
  let inst: Instruction;
  let lead = 0;
  switch (length) {
    case 1:
      inst = { form: nopForm(0), operands: [], prefixes: {} };
      break;
    case 2:
      inst = { form: nopForm(0), operands: [], prefixes: { data16: 1 } };
      break;
    case 3:
      inst = nop(32, mem(undefined, false));
      break;
    case 4:
      inst = nop(32, mem(8, false));
      break;
    case 5:
      inst = nop(32, mem(8, true));
      break;
    case 6:
      inst = nop(16, mem(8, true));
      break;
    case 7:
      inst = nop(32, mem(32, false));
      break;
    case 8:
      inst = nop(32, mem(32, true));
      break;
    case 9:
      inst = nop(16, mem(32, true));
      break;
    default:
      lead = length - 9;
      inst = nop(32, mem(32, true), true);
  }
  const enc = encodeInstruction(inst);
  if (isEncodeError(enc)) throw new Error(`cannot encode the ${length}-byte NOP: ${enc.error}`);
  const bytes = new Uint8Array(lead + enc.bytes.length).fill(0x66, 0, lead);
  bytes.set(enc.bytes, lead);
  if (bytes.length !== length) throw new Error(`the ${length}-byte NOP came out ${bytes.length} bytes long`);
  return bytes;
}

const PATTERNS: readonly Uint8Array[] = Array.from({ length: MAX_NOP + 1 }, (_, n) => (n === 0 ? new Uint8Array(0) : pattern(n)));

/** The single NOP instruction of `length` bytes (1-11). */
export function nop(length: number): Uint8Array {
  const p = PATTERNS[length];
  if (!p || length === 0) throw new RangeError(`no single NOP of ${length} bytes (1-${MAX_NOP})`);
  return p;
}

/** gas jumps over padding that would take more than this many longest NOPs. */
const MAX_NOPS_BEFORE_JUMP = 7;

const JUMPS = FORMS.filter((f) => f.mnemonic === "jmp" && f.operands.length === 1 && f.operands[0]!.t === "rel");

/** The `jmp` that skips `count` bytes of padding it starts (rel8 when it reaches). */
function jumpOver(count: number): Uint8Array {
  for (const form of JUMPS) {
    const enc = encodeInstruction({ form, operands: [{ kind: "rel", target: BigInt(count) }], prefixes: {} });
    if (!isEncodeError(enc)) return enc.bytes;
  }
  throw new Error(`cannot jump over ${count} bytes of padding`);
}

/**
 * `count` bytes of NOPs, each at most `maxNop` bytes (as `.nops count, maxNop` emits them).
 * Like gas, padding longer than seven longest NOPs starts with a jmp over the rest.
 */
export function nopFill(count: number, maxNop: number = MAX_NOP): Uint8Array {
  const out = new Uint8Array(count);
  writeNopFill(out, 0, count, maxNop);
  return out;
}

/** Writes NOP fill into `out` at `at` (the assembler's alignment padding). */
export function writeNopFill(out: Uint8Array, at: number, count: number, maxNop: number = MAX_NOP): void {
  const cap = Math.max(1, Math.min(MAX_NOP, maxNop));
  if (Math.floor(count / MAX_NOP) > MAX_NOPS_BEFORE_JUMP) {
    const jump = jumpOver(count);
    out.set(jump, at);
    at += jump.length;
    count -= jump.length;
  }
  while (count > 0) {
    const n = Math.min(count, cap);
    out.set(PATTERNS[n]!, at);
    at += n;
    count -= n;
  }
}
