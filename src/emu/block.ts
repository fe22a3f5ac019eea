/**
 * Compiled code. A basic block is the run of instructions from an address up to the first
 * control transfer (or a stop address, or a length cap). A region is a set of basic blocks
 * compiled into one `new Function` that V8 optimises as a unit:
 *
 *     let rax = r[0], rax_hi = r[1], ...;          // the registers the region uses
 *     let n_retired = C.retired, ...;               // the counters it adds to
 *     run: for (;;) switch (b) {
 *       case 0: b0: for (;;) { ...block 0...  }     // `continue b0` loops on the block,
 *       case 1: b1: for (;;) { ...block 1...  }     // `b = 1; continue run` goes to another,
 *     }                                             // `break run` leaves with rip set
 *     r[0] = rax; ...; C.retired = n_retired; ...
 *
 * A region starts as its entry block alone (a block that branches to itself already loops
 * inside it). Once the run loop has entered it HOT_ENTRIES times, it is compiled again with the
 * blocks it reaches through direct jumps, branches and fall-throughs that have run themselves
 * (that have been entered from the run loop), up to MAX_REGION_BLOCKS blocks and
 * MAX_REGION_INSTRUCTIONS instructions: code that has not run (the far side of a branch never
 * taken, bytes after the end of a loop) stays out, and so does the cost of compiling it.
 *
 * A transfer to a block of the region continues inside the function, without returning to the
 * run loop, while the step limit allows the whole block; flags stay lazy across it when the
 * target reads them (src/emu/flags.ts), and are not passed at all when it overwrites them first.
 * Counters add up per block, once per block executed.
 *
 * Regions are cached by entry address and dropped when a store hits a page they were fetched
 * from (the Memory tells the cache; the running region stops after the storing instruction).
 */
import { decode } from "../x86/decode.js";
import type { Instruction } from "../x86/instruction.js";
import { ARITH, CF, OF, type Cpu } from "./cpu.js";
import { COUNTERS, constant, addCounts, Emitter, RegionWriter, registerLocal, RELOAD_MARK, SYNC_MARKS, zeroCounts, type Counts, type RegionPlan } from "./emit.js";
import { FaultSignal } from "./fault.js";
import { conditionFlags, FLAG_LOCALS, IN_CPU, IN_LOCALS } from "./flags.js";
import type { Helpers } from "./helpers.js";
import { splitAddress, type Memory } from "./memory.js";
import { ENDS_BLOCK, SEMANTICS } from "./semantics.js";

export type RegionFunction = (C: Cpu, M: Memory, H: Helpers) => void;

export interface DecodedInstruction {
  readonly instruction: Instruction;
  readonly address: bigint;
  readonly length: number;
}

interface BasicBlock {
  readonly start: bigint;
  readonly instructions: readonly DecodedInstruction[];
  /** Addresses it goes on at that are known when it is compiled: a direct target, the fall-through. */
  readonly successors: readonly bigint[];
}

export interface Region {
  readonly key: number;
  readonly start: bigint;
  readonly fn: RegionFunction;
  /** Every instruction of the region, block after block: C.cur indexes it when one faults. */
  readonly sites: readonly DecodedInstruction[];
  /** Instructions in the entry block: the run loop enters the region only if the step limit allows them all. */
  readonly entryLength: number;
  readonly pages: readonly number[];
  /** The generated source, for debugging the emulator. */
  readonly source: string;
  valid: boolean;
  /** Times the run loop entered it; a region of one block grows when this reaches HOT_ENTRIES. */
  entries: number;
  /** Whether it was compiled with the blocks it reaches that have run. */
  readonly grown: boolean;
  /** The region that ran after this one last time (saves a Map lookup on the next dispatch). */
  successor?: Region;
}

/** Longest basic block, in instructions. */
const MAX_BLOCK = 64;
/** Entries after which a region is compiled again with the blocks it reaches that have run. */
export const HOT_ENTRIES = 32;
/** Most basic blocks and instructions in a region: bounds compile time and keeps functions small enough for V8 to optimise. */
const MAX_REGION_BLOCKS = 16;
const MAX_REGION_INSTRUCTIONS = 256;

/** The key of an address in the code cache: exact for every canonical address. */
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

/** What an instruction adds to the counters when it retires, but for memory accesses (which its code counts as it emits them). */
function ownCounts(d: DecodedInstruction): Counts {
  const sem = d.instruction.form.sem;
  const [pushes, pops] = stackEffects(d);
  return {
    ...zeroCounts(),
    retired: 1,
    nops: sem === "nop" ? 1 : 0,
    calls: sem === "call" ? 1 : 0,
    returns: sem === "ret" ? 1 : 0,
    pushes,
    pops,
    bytes: d.length,
  };
}

// ---- flag liveness ----

/** Sems whose flags lazy flags record: all six status flags (inc and dec: all but CF). */
const FLAG_WRITERS: Readonly<Record<string, number>> = {
  add: ARITH, or: ARITH, adc: ARITH, sbb: ARITH, and: ARITH, sub: ARITH, xor: ARITH, cmp: ARITH, test: ARITH, neg: ARITH, xadd: ARITH, cmpxchg: ARITH,
  inc: ARITH & ~CF, dec: ARITH & ~CF,
};
/** Sems that read no flags but those of their condition code, and cannot fault or call a helper without a memory operand. */
const REGISTER_ONLY = new Set(["mov", "movabs", "movzx", "movsx", "lea", "nop", "xchg", "bswap", "not", "cbw", "cwd", "endbr64", "pause", "lfence", "mfence", "sfence", "cld", "std", "jmp", "jcc", "jrcxz", "setcc", "cmovcc"]);

/** Shifts and rotates by a constant other than 0 (after masking): the flags they write, and read (rcl, rcr: CF). */
function shiftByConstantEffect(insn: Instruction): { reads: number; writes: number } | undefined {
  const sem = insn.form.sem;
  if (!["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"].includes(sem)) return undefined;
  const by = insn.operands.length === 1 ? 1n : insn.operands[0]!.kind === "imm" ? insn.operands[0]!.value : 0n;
  if ((by & (insn.form.opsize === 64 ? 63n : 31n)) === 0n) return undefined;
  const rotate = sem === "rol" || sem === "ror" || sem === "rcl" || sem === "rcr";
  return { reads: sem === "rcl" || sem === "rcr" ? CF : 0, writes: rotate ? CF | OF : ARITH };
}

/**
 * The arithmetic flags an instruction reads and the ones it overwrites. Anything that may
 * fault or call a helper counts as reading all of them (a fault shows them; a helper may read
 * them), but for the helpers whose flags the liveness knows (shifts and rotates by a constant,
 * imul with two or three operands: CF and OF, the rest unchanged); lea and nop name memory
 * without touching it.
 */
function flagEffect(insn: Instruction): { reads: number; writes: number } {
  const sem = insn.form.sem;
  const touchesMemory = sem !== "lea" && sem !== "nop" && insn.operands.some((o) => o.kind === "mem");
  const known = sem === "imul" && insn.operands.length > 1 ? { reads: 0, writes: CF | OF } : shiftByConstantEffect(insn);
  const writes = FLAG_WRITERS[sem] ?? known?.writes ?? 0;
  if (!writes && !REGISTER_ONLY.has(sem)) return { reads: ARITH, writes: 0 };
  if (touchesMemory) return { reads: ARITH, writes };
  const cc = sem === "jcc" || sem === "setcc" || sem === "cmovcc" ? conditionFlags(insn.form.cc) : 0;
  return { reads: cc | (sem === "adc" || sem === "sbb" ? CF : 0) | (known?.reads ?? 0), writes };
}

/**
 * Backwards through a block from the flags live after it: the flags live after each
 * instruction (that may be read before they are overwritten), and those live on entry.
 */
function flagLiveness(instructions: readonly DecodedInstruction[], liveOut: number): { liveIn: number; liveAfter: number[] } {
  const liveAfter: number[] = [];
  let live = liveOut;
  for (let k = instructions.length - 1; k >= 0; k--) {
    liveAfter[k] = live;
    const { reads, writes } = flagEffect(instructions[k]!.instruction);
    live = (live & ~writes) | reads;
  }
  return { liveIn: live, liveAfter };
}

/**
 * For each block, the flags that may be read after it before they are overwritten: leaving the
 * region reads them all; a fixed point over the region's branches.
 */
function flagsLiveOut(blocks: readonly BasicBlock[], blockAt: (address: bigint) => number | undefined): number[] {
  const liveIn = blocks.map(() => 0);
  const liveOut = (b: BasicBlock) => {
    let live = b.successors.length === 0 ? ARITH : 0;
    for (const s of b.successors) {
      const t = blockAt(s);
      live |= t === undefined ? ARITH : liveIn[t]!;
    }
    return live;
  };
  for (let changed = true; changed; ) {
    changed = false;
    blocks.forEach((b, j) => {
      const live = flagLiveness(b.instructions, liveOut(b)).liveIn;
      if (live !== liveIn[j]) {
        liveIn[j] = live;
        changed = true;
      }
    });
  }
  return blocks.map(liveOut);
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
  private readonly regions = new Map<number, Region>();
  private readonly singles = new Map<number, Region>();
  private readonly byPage = new Map<number, Set<Region>>();

  constructor(
    private readonly mem: Memory,
    private readonly cpu: Cpu,
  ) {
    mem.onCodeWrite = (key) => this.invalidatePage(key);
  }

  /**
   * The region entered at an address (compiled on first use). `single` gives a region of one
   * instruction (trace mode, and the last steps before the limit). `stopBefore` says whether
   * an address must start a block of its own (the run loop stops there).
   */
  get(lo: number, hi: number, single: boolean, stopBefore: (key: number) => boolean): Region {
    const key = blockKey(lo, hi);
    const cache = single ? this.singles : this.regions;
    let region = cache.get(key);
    if (region === undefined) {
      region = this.compile((BigInt(hi) << 32n) | BigInt(lo), single ? "single" : "block", stopBefore);
      this.add(cache, region);
    }
    return region;
  }

  /** A hot region compiled again with the blocks it reaches that have run; it replaces the old one. */
  grow(old: Region, stopBefore: (key: number) => boolean): Region {
    const region = this.compile(old.start, "grown", stopBefore);
    old.valid = false;
    for (const set of this.byPage.values()) set.delete(old);
    this.add(this.regions, region);
    return region;
  }

  private add(cache: Map<number, Region>, region: Region): void {
    cache.set(region.key, region);
    for (const page of region.pages) {
      let set = this.byPage.get(page);
      if (!set) this.byPage.set(page, (set = new Set()));
      set.add(region);
    }
  }

  clear(): void {
    for (const key of [...this.byPage.keys()]) this.invalidatePage(key);
    this.regions.clear();
    this.singles.clear();
  }

  private invalidatePage(page: number): void {
    const set = this.byPage.get(page);
    this.cpu.smc = true;
    if (!set) return;
    for (const region of set) {
      region.valid = false;
      if (this.regions.get(region.key) === region) this.regions.delete(region.key);
      if (this.singles.get(region.key) === region) this.singles.delete(region.key);
    }
    this.byPage.delete(page);
    this.mem.clearCode(page);
  }

  /** Decodes the basic block at an address; a fault instead when its first instruction cannot run. */
  private decodeBlock(start: bigint, max: number, stopBefore: (key: number) => boolean): BasicBlock | FaultSignal {
    const list: DecodedInstruction[] = [];
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
        // The first instruction raises it; a later one ends the block and raises it when reached.
        if (list.length === 0) return problem ?? new FaultSignal("#UD", "undefined opcode");
        break;
      }
      list.push({ instruction: result.instruction, address, length: result.length });
      address = BigInt.asUintN(64, address + BigInt(result.length));
      if (ENDS_BLOCK.has(result.instruction.form.sem)) break;
    }
    const last = list[list.length - 1]!.instruction;
    const target = last.operands[0];
    let successors: bigint[];
    if (!ENDS_BLOCK.has(last.form.sem)) successors = [address];
    else if ((last.form.sem === "jcc" || last.form.sem === "jrcxz") && target?.kind === "rel") successors = [target.target, address];
    else if (last.form.sem === "jmp" && target?.kind === "rel") successors = [target.target];
    else successors = [];
    return { start, instructions: list, successors };
  }

  /**
   * Compiles a region: a `single` instruction (no way back into it), its entry `block` (which
   * may loop on itself), or `grown` with the blocks it reaches that have run.
   */
  private compile(start: bigint, kind: "single" | "block" | "grown", stopBefore: (key: number) => boolean): Region {
    const key = blockKey(...splitAddress(start));
    const first = this.decodeBlock(start, kind === "single" ? 1 : MAX_BLOCK, stopBefore);
    if (first instanceof FaultSignal) {
      const source = `C.cur = -1; throw H.fault(${JSON.stringify(first.vector)}, ${JSON.stringify(first.message)}, false, ${first.number}, ${first.address === undefined ? "undefined" : `${first.address}n`}, ${first.errorCode ?? "undefined"});`;
      const fn = new Function("C", "M", "H", source) as RegionFunction;
      return { key, start, fn, sites: [], entryLength: 0, pages: [this.mem.markCode(start)], source, valid: true, entries: 0, grown: true };
    }
    const blocks = [first];
    const index = new Map<bigint, number>(kind === "single" ? [] : [[start, 0]]);
    let total = first.instructions.length;
    // Breadth first through the successors that have run.
    for (let i = 0; i < blocks.length && kind === "grown"; i++) {
      for (const target of blocks[i]!.successors) {
        const [lo, hi] = splitAddress(target);
        if (index.has(target) || blocks.length >= MAX_REGION_BLOCKS || !this.regions.has(blockKey(lo, hi)) || stopBefore(blockKey(lo, hi))) continue;
        const block = this.decodeBlock(target, MAX_BLOCK, stopBefore);
        if (block instanceof FaultSignal || total + block.instructions.length > MAX_REGION_INSTRUCTIONS) continue;
        index.set(target, blocks.length);
        blocks.push(block);
        total += block.instructions.length;
      }
    }
    const pages = new Set<number>();
    const sites = blocks.flatMap((b) => b.instructions);
    for (const d of sites) {
      pages.add(this.mem.markCode(d.address));
      pages.add(this.mem.markCode(d.address + BigInt(d.length - 1)));
    }
    const blockAt = (address: bigint) => index.get(address);
    const liveOut = flagsLiveOut(blocks, blockAt);
    const plan: RegionPlan = {
      blockAt,
      blockLength: (j) => blocks[j]!.instructions.length,
      flagsLiveIn: (j) => flagLiveness(blocks[j]!.instructions, liveOut[j]!).liveIn !== 0,
    };
    const source = regionSource(blocks, plan, liveOut);
    const fn = new Function("C", "M", "H", source) as RegionFunction;
    return { key, start, fn, sites, entryLength: first.instructions.length, pages: [...pages], source, valid: true, entries: 0, grown: kind !== "block" };
  }
}

/** The body of one block: its instructions, the self-modifying-code checks, and where it goes on. */
function blockSource(w: RegionWriter, block: BasicBlock, firstSite: number, liveOut: number): string[] {
  const body: string[] = [];
  // An instruction none of whose flags is live after it need not compute them.
  const { liveAfter } = flagLiveness(block.instructions, liveOut);
  block.instructions.forEach((d, k) => {
    const next = BigInt.asUintN(64, d.address + BigInt(d.length));
    const { writes } = flagEffect(d.instruction);
    const e = new Emitter(d.instruction, d.address, next, firstSite + k, w, ownCounts(d), writes !== 0 && (liveAfter[k]! & writes) === 0);
    SEMANTICS[d.instruction.form.sem]!(e);
    if (!e.ends && e.writesMemory) e.emit(`if (C.smc) { ${e.exitCode(constant(next, 64))} }`);
    if (!e.ends && k === block.instructions.length - 1) e.jumpTo(next);
    body.push(`// ${d.instruction.form.row}`, ...e.lines);
    w.counts = addCounts(w.counts, e.own);
  });
  return body;
}

function regionSource(blocks: readonly BasicBlock[], plan: RegionPlan, liveOut: readonly number[]): string {
  const w = new RegionWriter(plan);
  let site = 0;
  const bodies = blocks.map((block, j) => {
    w.block = j;
    w.counts = zeroCounts();
    w.flags = plan.flagsLiveIn(j) ? IN_LOCALS : IN_CPU;
    if (plan.flagsLiveIn(j)) w.usesFlagLocals = true;
    const body = blockSource(w, block, site, liveOut[j]!);
    site += block.instructions.length;
    return `case ${j}: b${j}: for (;;) {\n${body.join("\n")}\n}`;
  });
  // Now that the whole region is known: what to load, store back and count.
  const used = [...w.used].sort((a, b) => a - b);
  const written = [...w.written].sort((a, b) => a - b);
  const counted = COUNTERS.filter((c) => w.counted.has(c) || w.syncs.some((s) => s[c] !== 0));
  const spill = written.map((i) => `r[${i}] = ${registerLocal(i)};`).join(" ");
  const reload = used.map((i) => `${registerLocal(i)} = r[${i}] | 0;`).join(" ");
  const syncs = w.syncs.map((counts) => `${counted.map((c) => `C.${c} = n_${c}${counts[c] ? ` + ${counts[c]}` : ""};`).join(" ")} ${spill}`);
  const code = bodies
    .join("\n")
    .replaceAll(RELOAD_MARK, reload)
    .replace(SYNC_MARKS, (_, n: string) => syncs[Number(n)]!);
  return [
    '"use strict";',
    "const r = C.r, limit = C.limit;",
    used.length ? `let ${used.map((i) => `${registerLocal(i)} = r[${i}] | 0`).join(", ")};` : "",
    `let ${counted.map((c) => `n_${c} = C.${c}`).join(", ")};`,
    w.usesMemory ? "const rtags = M.readTags, rhighs = M.readHighs, rviews = M.readViews, wtags = M.writeTags, whighs = M.writeHighs, wviews = M.writeViews;" : "",
    w.usesFlagLocals ? FLAG_LOCALS : "",
    "let b = 0, rip = 0, rip_hi = 0;",
    "run: for (;;) switch (b) {",
    code,
    "}",
    spill,
    "r[32] = rip; r[33] = rip_hi;",
    counted.map((c) => `C.${c} = n_${c};`).join(" "),
  ]
    .filter((line) => line !== "")
    .join("\n");
}
