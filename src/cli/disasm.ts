/** `pvopc disasm [FILE] [--hex HEX] [--base ADDR]`: list raw x86-64 bytes as objdump -d would. */
import type { Command } from "commander";
import type { RegisterCommand } from "./commands.js";
import { EXIT_OK, parseInteger, readBinary, usageError } from "./common.js";

interface DisasmOptions {
  readonly hex?: string;
  readonly base: string;
}

/** Parses hex bytes written as pairs, with any whitespace between them ("48 89 e5" or "4889e5"). */
export function parseHexBytes(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) throw usageError(`--hex: '${bad[0]}' is not a hex digit`);
  if (digits.length % 2) throw usageError(`--hex: odd number of hex digits (${digits.length}); write whole bytes`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export const registerDisasm: RegisterCommand = (program: Command, setExit) => {
  program
    .command("disasm")
    .description("disassemble raw x86-64 bytes: one 'ADDR:<TAB>BYTES<TAB>TEXT' line per instruction")
    .argument("[file]", "raw bytes to disassemble ('-' reads stdin)")
    .option("--hex <bytes>", "disassemble these hex bytes instead of a file")
    .option("--base <addr>", "address of the first byte (0x hex or decimal)", "0")
    .action(async (file: string | undefined, options: DisasmOptions) => {
      if ((file === undefined) === (options.hex === undefined)) throw usageError("give either a FILE or --hex BYTES");
      const base = parseInteger(options.base, "--base");
      if (base < 0n || base >= 1n << 64n) throw usageError(`--base: '${options.base}' is not a 64-bit address`);
      const bytes = options.hex !== undefined ? parseHexBytes(options.hex) : readBinary(file!);
      // Loaded on use, as every command's library is: building the decoder's tables is not for every start.
      const { writeListing } = await import("../x86/print.js");
      // Chunks of a megabyte: few writes, and no string of the whole listing.
      writeListing([{ base, bytes }], (chunk) => process.stdout.write(chunk));
      setExit(EXIT_OK);
    });
};
