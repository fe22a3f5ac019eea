/**
 * Basic blocks compiled to JavaScript. A block is the run of instructions from an address up
 * to the first control transfer (or a stop address, or a length cap); its semantics functions'
 * output is joined into one `new Function`, which V8 then optimises as a unit. A block that
 * branches back to its own start loops inside the function while the step limit allows, so a
 * tight loop runs without returning to the dispatcher.
 *
 * Blocks are cached by start address and dropped when a store hits a page they were fetched
 * from (the Memory tells the cache; the running block stops after the storing instruction).
 */
import { decode } from "../x86/decode.js";
import type { Instruction } from "../x86/instruction.js";
import type { Cpu } from "./cpu.js";
import { Emitter } from "./emit.js";
import { FaultSignal } from "./fault.js";
import type { Helpers } from "./helpers.js";
import { splitAddress, type Memory } from "./memory.js";
import { ENDS_BLOCK, SEMANTICS } from "./semantics.js";

export type BlockFunction = (C: Cpu, M: Memory, H: Helpers) => void;

export interface DecodedInstruction {
  readonly instruction: Instruction;
  readonly address: bigint;
  readonly length: number;
}

/** Per-instruction tallies the counters add up; index k holds the sum over instructions 0..k-1. */
export interface Tallies {
  readonly nops: Int32Array;
  readonly calls: Int32Array;
  readonly returns: Int32Array;
  readonly pushes: Int32Array;
  readonly pops: Int32Array;
  readonly bytes: Int32Array;
}

export interface Block {
  readonly key: number;
  readonly start: bigint;
  readonly fn: BlockFunction;
  readonly instructions: readonly DecodedInstruction[];
  /** Start address of each instruction, then the address after the last. */
  readonly addresses: readonly bigint[];
  readonly tallies: Tallies;
  readonly pages: readonly number[];
  /** The generated source, for debugging the emulator. */
  readonly source: string;
  valid: boolean;
  /** The block that ran after this one last time (saves a Map lookup on the next dispatch). */
  successor?: Block;
}

/** Longest block, in instructions. */
export const MAX_BLOCK = 64;

/** The key of an address in the block cache: exact for every canonical address. */
export function blockKey(lo: number, hi: number): number {
  return (hi & 0x1ffff) * 4294967296 + lo;
}

function stackEffects(d: DecodedInstruction): [number, number] {
  const sem = d.instruction.form.sem;
  switch (sem) {
    case "push":
    case "pushf":
    case "call":
      return [1, 0];
    case "pop":
    case "popf":
    case "ret":
    case "leave":
      return [0, 1];
    case "iret":
      return [0, 5];
    case "enter": {
      const o = d.instruction.operands[1];
      const level = o?.kind === "imm" ? Number(o.value & 31n) : 0;
      return [level > 0 ? level + 1 : 1, 0];
    }
  }
  return [0, 0];
}

const ALL_FLAGS = 0x8d5;
/** Sems that write all six status flags (inc and dec: all but CF), whatever their operands. */
const FLAG_WRITERS: Readonly<Record<string, number>> = {
  add: ALL_FLAGS, or: ALL_FLAGS, adc: ALL_FLAGS, sbb: ALL_FLAGS, and: ALL_FLAGS, sub: ALL_FLAGS, xor: ALL_FLAGS, cmp: ALL_FLAGS, test: ALL_FLAGS,
  inc: ALL_FLAGS & ~1, dec: ALL_FLAGS & ~1,
};
/** Sems that neither read nor write flags and cannot fault without a memory operand. */
const FLAG_NEUTRAL = new Set(["mov", "movzx", "movsx", "lea", "nop", "xchg", "bswap", "not", "cbw", "cwd", "endbr64", "pause"]);

/**
 * For each instruction, whether the flags it writes are dead: overwritten by a later
 * instruction of the block before anything reads them. Flags are live at the block's end, and
 * before anything that may fault (a fault shows the state before that instruction).
 */
function deadFlags(list: readonly DecodedInstruction[]): boolean[] {
  const dead = new Array<boolean>(list.length).fill(false);
  let live = ALL_FLAGS;
  for (let k = list.length - 1; k >= 0; k--) {
    const insn = list[k]!.instruction;
    const sem = insn.form.sem;
    const writes = FLAG_WRITERS[sem] ?? 0;
    const memory = insn.operands.some((o) => o.kind === "mem");
    dead[k] = writes !== 0 && (writes & live) === 0;
    if (memory || (!writes && !FLAG_NEUTRAL.has(sem))) live = ALL_FLAGS;
    else if (sem === "adc" || sem === "sbb") live = (live & ~writes) | 1;
    else live &= ~writes;
  }
  return dead;
}

function tallies(list: readonly DecodedInstruction[]): Tallies {
  const n = list.length + 1;
  const t: Tallies = {
    nops: new Int32Array(n),
    calls: new Int32Array(n),
    returns: new Int32Array(n),
    pushes: new Int32Array(n),
    pops: new Int32Array(n),
    bytes: new Int32Array(n),
  };
  list.forEach((d, k) => {
    const sem = d.instruction.form.sem;
    const [pushes, pops] = stackEffects(d);
    t.nops[k + 1] = t.nops[k]! + (sem === "nop" ? 1 : 0);
    t.calls[k + 1] = t.calls[k]! + (sem === "call" ? 1 : 0);
    t.returns[k + 1] = t.returns[k]! + (sem === "ret" ? 1 : 0);
    t.pushes[k + 1] = t.pushes[k]! + pushes;
    t.pops[k + 1] = t.pops[k]! + pops;
    t.bytes[k + 1] = t.bytes[k]! + d.length;
  });
  return t;
}

/** Why an instruction cannot run at all (decoded or not): #UD before anything executes. */
function undefinedReason(insn: Instruction): string | undefined {
  const form = insn.form;
  if (!SEMANTICS[form.sem]) return `${form.mnemonic} is not supported by the emulator`;
  if (insn.prefixes.lock) {
    const last = insn.operands[insn.operands.length - 1];
    if (!form.lockable || last?.kind !== "mem") return `lock prefix on ${form.mnemonic} without a memory destination`;
  }
  return undefined;
}

export class BlockCache {
  private readonly blocks = new Map<number, Block>();
  private readonly singles = new Map<number, Block>();
  private readonly byPage = new Map<number, Set<Block>>();

  constructor(
    private readonly mem: Memory,
    private readonly cpu: Cpu,
  ) {
    mem.onCodeWrite = (key) => this.invalidatePage(key);
  }

  /**
   * The block at an address (compiled on first use). `single` gives a block of one
   * instruction (trace mode, and the last steps before the limit). `stopBefore` says whether
   * an address must start a block of its own (the run loop stops there).
   */
  get(lo: number, hi: number, single: boolean, stopBefore: (key: number) => boolean): Block {
    const key = blockKey(lo, hi);
    const cache = single ? this.singles : this.blocks;
    let block = cache.get(key);
    if (block === undefined) {
      block = this.compile((BigInt(hi) << 32n) | BigInt(lo), single ? 1 : MAX_BLOCK, stopBefore);
      cache.set(key, block);
      for (const page of block.pages) {
        let set = this.byPage.get(page);
        if (!set) this.byPage.set(page, (set = new Set()));
        set.add(block);
      }
    }
    return block;
  }

  clear(): void {
    for (const key of [...this.byPage.keys()]) this.invalidatePage(key);
    this.blocks.clear();
    this.singles.clear();
  }

  private invalidatePage(page: number): void {
    const set = this.byPage.get(page);
    this.cpu.smc = true;
    if (!set) return;
    for (const block of set) {
      block.valid = false;
      if (this.blocks.get(block.key) === block) this.blocks.delete(block.key);
      if (this.singles.get(block.key) === block) this.singles.delete(block.key);
    }
    this.byPage.delete(page);
    this.mem.clearCode(page);
  }

  private compile(start: bigint, max: number, stopBefore: (key: number) => boolean): Block {
    const list: DecodedInstruction[] = [];
    let failure: FaultSignal | undefined;
    let address = start;
    while (list.length < max) {
      const [lo, hi] = splitAddress(address);
      if (list.length > 0 && stopBefore(blockKey(lo, hi))) break;
      const fetched = this.mem.fetch(address, 15);
      const result = fetched.bytes.length ? decode(fetched.bytes, 0, address) : undefined;
      let problem: FaultSignal | undefined;
      if (!result || (!result.ok && fetched.fault)) problem = fetched.fault;
      else if (!result.ok) problem = new FaultSignal("#UD", `undefined opcode: ${result.reason}`);
      else {
        const why = undefinedReason(result.instruction);
        if (why) problem = new FaultSignal("#UD", why);
      }
      if (problem || !result?.ok) {
        // The first instruction raises it; later ones end the block and raise it as the start of the next.
        if (list.length === 0) failure = problem;
        break;
      }
      list.push({ instruction: result.instruction, address, length: result.length });
      address = BigInt.asUintN(64, address + BigInt(result.length));
      if (ENDS_BLOCK.has(result.instruction.form.sem)) break;
    }
    const pages = new Set<number>();
    for (const d of list) {
      pages.add(this.mem.markCode(d.address));
      pages.add(this.mem.markCode(d.address + BigInt(d.length - 1)));
    }
    if (failure) pages.add(this.mem.markCode(start));
    const source = failure ? this.faultSource(failure) : this.source(start, list);
    const fn = new Function("C", "M", "H", source) as BlockFunction;
    return {
      key: blockKey(...splitAddress(start)),
      start,
      fn,
      instructions: list,
      addresses: [...list.map((d) => d.address), address],
      tallies: tallies(list),
      pages: [...pages],
      source,
      valid: true,
    };
  }

  private faultSource(f: FaultSignal): string {
    return `C.cur = 0; throw H.fault(${JSON.stringify(f.vector)}, ${JSON.stringify(f.message)}, false, ${f.number}, ${f.address === undefined ? "undefined" : `${f.address}n`}, ${f.errorCode ?? "undefined"});`;
  }

  private source(start: bigint, list: readonly DecodedInstruction[]): string {
    const body: string[] = [];
    const context = { start, count: list.length };
    const dead = deadFlags(list);
    for (let k = 0; k < list.length; k++) {
      const d = list[k]!;
      const next = BigInt.asUintN(64, d.address + BigInt(d.length));
      const e = new Emitter(d.instruction, d.address, next, k, context);
      e.flagsDead = dead[k]!;
      SEMANTICS[d.instruction.form.sem]!(e);
      // C.cur tells the run loop which instruction faulted; instructions that cannot fault skip it.
      const safe = !d.instruction.operands.some((o) => o.kind === "mem") && (FLAG_WRITERS[d.instruction.form.sem] !== undefined || FLAG_NEUTRAL.has(d.instruction.form.sem) || d.instruction.form.sem === "jcc");
      body.push(`${safe ? "" : `C.cur = ${k}; `}{ // ${d.instruction.form.row}`, ...e.lines.map((l) => "  " + l), "}");
      if (e.ends) return wrap(body);
      if (e.writesMemory && k < list.length - 1) body.push(`if (C.smc) { ${e.exitCode({ lo: String(Number(next & 0xffffffffn)), hi: String(Number(next >> 32n)) })} }`);
      if (k === list.length - 1) body.push(e.exitCode({ lo: String(Number(next & 0xffffffffn)), hi: String(Number(next >> 32n)) }));
    }
    if (list.length === 0) body.push("C.cur = 0; return;");
    return wrap(body);
  }
}

function wrap(body: string[]): string {
  return `"use strict";\nconst r = C.r;\nloop: for (;;) {\n${body.map((l) => "  " + l).join("\n")}\n}`;
}
