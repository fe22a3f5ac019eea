/**
 * `pvopc emu`: run x86-64 code on the emulator. One run from options (--asm or --hex, --set,
 * --map, --dump, --base, --max-steps, --trace) printed as a readable report, or many runs from
 * JSON lines on stdin (--jsonl) printed as JSON lines. See docs/emulator.md.
 *
 * Exit codes: 0 when the code returned, reached its end or halted; 1 when it faulted or hit the
 * step limit (or, with --jsonl, never: each line carries its own outcome); 2 for usage errors.
 */
import type { Command } from "commander";
import { createInterface } from "node:readline";
import { DEFAULT_BASE, DEFAULT_MAX_STEPS } from "../emu/defaults.js";
import type { EmuRequest } from "../emu/request.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT_INPUT, EXIT_OK, usageError } from "./common.js";

interface EmuOptions {
  readonly asm?: string;
  readonly hex?: string;
  readonly base?: string;
  readonly set: string[];
  readonly map: string[];
  readonly dump: string[];
  readonly maxSteps?: string;
  readonly trace?: boolean;
  readonly jsonl?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function orUsage<T>(v: T | { error: string }, what: string): T {
  if (typeof v === "object" && v !== null && "error" in v && !(v instanceof Uint8Array)) throw usageError(`${what}: ${(v as { error: string }).error}`);
  return v as T;
}

/** The emulator's library, loaded when the command runs rather than at every CLI start. */
type Emu = typeof import("../emu/request.js") & typeof import("../emu/machine.js") & typeof import("../emu/report.js");

async function loadEmu(): Promise<Emu> {
  const [request, machine, report] = await Promise.all([import("../emu/request.js"), import("../emu/machine.js"), import("../emu/report.js")]);
  return { ...request, ...machine, ...report };
}

function requestFromOptions(o: EmuOptions, { parseValue, assembleCode, parseHex, Machine }: Emu): EmuRequest {
  if ((o.asm === undefined) === (o.hex === undefined)) throw usageError("give either --asm TEXT or --hex BYTES (or --jsonl)");
  const base = o.base === undefined ? DEFAULT_BASE : orUsage(parseValue(o.base, "--base"), "--base");
  const code = o.asm !== undefined ? assembleCode(o.asm, base) : parseHex(o.hex!);
  if ("error" in code) throw new UsageOrInput(code.error, o.asm !== undefined);
  const regs = new Map<string, bigint>();
  for (const s of o.set) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw usageError(`--set: expected REG=VALUE, got '${s}'`);
    const name = s.slice(0, eq).trim();
    if (!Machine.isRegisterName(name)) throw usageError(`--set: unknown register '${name}'`);
    regs.set(name, orUsage(parseValue(s.slice(eq + 1), `--set ${name}`), "--set"));
  }
  const memory = o.map.map((m) => {
    const colon = m.indexOf(":");
    if (colon <= 0) throw usageError(`--map: expected ADDR:HEX, got '${m}'`);
    return { addr: orUsage(parseValue(m.slice(0, colon), "--map"), "--map"), bytes: orUsage(parseHex(m.slice(colon + 1)), "--map") };
  });
  const dump = o.dump.map((d) => {
    const colon = d.indexOf(":");
    if (colon <= 0) throw usageError(`--dump: expected ADDR:LEN, got '${d}'`);
    const len = Number(orUsage(parseValue(d.slice(colon + 1), "--dump"), "--dump"));
    if (len > 1 << 20) throw usageError("--dump: at most 1 MiB");
    return { addr: orUsage(parseValue(d.slice(0, colon), "--dump"), "--dump"), len };
  });
  const maxSteps = o.maxSteps === undefined ? DEFAULT_MAX_STEPS : Number(orUsage(parseValue(o.maxSteps, "--max-steps"), "--max-steps"));
  return { code, base, regs, memory, dump, maxSteps, trace: o.trace === true };
}

/** Assembly errors are errors in the input (exit 1); malformed hex is a usage error. */
class UsageOrInput extends Error {
  constructor(
    message: string,
    readonly input: boolean,
  ) {
    super(message);
  }
}

async function serveJsonl({ requestFromJson, outcomeJson, runRequest }: Emu): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let result: unknown;
    try {
      const req = requestFromJson(JSON.parse(line));
      result = "error" in req ? { error: req.error } : outcomeJson(runRequest(req));
    } catch (e) {
      result = { error: e instanceof SyntaxError ? `malformed JSON: ${e.message}` : String(e) };
    }
    process.stdout.write(JSON.stringify(result) + "\n");
  }
}

export const registerEmu: RegisterCommand = (program: Command, setExit) => {
  program
    .command("emu")
    .description("run x86-64 code on pvopc's emulator and report what changed")
    .option("--asm <text>", "AT&T assembly to run (';' separates statements)")
    .option("--hex <bytes>", "machine code to run, as hex bytes")
    .option("--base <addr>", `load address of the code (default 0x${DEFAULT_BASE.toString(16)})`)
    .option("--set <reg=value>", "set a register before the run: rax, eax, rflags, cr3, gs_base, msr:0xc0000080, cpl, ... (repeatable)", collect, [])
    .option("--map <addr:hex>", "map the pages covering ADDR.. read-write and write the bytes (repeatable)", collect, [])
    .option("--dump <addr:len>", "print LEN bytes of memory at ADDR after the run (repeatable)", collect, [])
    .option("--max-steps <n>", `stop after N instructions (default ${DEFAULT_MAX_STEPS})`)
    .option("--trace", "print every instruction with the registers and flags it changed")
    .option("--jsonl", "read one JSON request per stdin line, write one JSON result per line")
    .action(async (options: EmuOptions) => {
      if (options.jsonl && (options.asm !== undefined || options.hex !== undefined)) throw usageError("--jsonl reads its code from stdin; drop --asm/--hex");
      const emu = await loadEmu();
      if (options.jsonl) {
        await serveJsonl(emu);
        setExit(EXIT_OK);
        return;
      }
      let req: EmuRequest;
      try {
        req = requestFromOptions(options, emu);
      } catch (e) {
        if (e instanceof UsageOrInput) {
          if (!e.input) throw usageError(`--hex: ${e.message}`);
          process.stderr.write(`pvopc: error: ${e.message}\n`);
          setExit(EXIT_INPUT);
          return;
        }
        throw e;
      }
      const outcome = emu.runRequest(req);
      process.stdout.write(emu.formatReport(outcome));
      setExit(outcome.result.stop === "fault" || outcome.result.stop === "limit" ? EXIT_INPUT : EXIT_OK);
    });
};
