/**
 * `pvopc asm FILE`: assemble AT&T source (GNU as --64 compatible). Prints a listing (--listing)
 * or the .text bytes as hex (--hex), or writes an object (-o FILE, ELF by default, or the raw
 * .text bytes with --format bin). Any error: diagnostics on stderr, exit 1, nothing written.
 */
import type { Command } from "commander";
import type { ListingLine } from "../asm/assembler.js";
import { hasErrors } from "../diag/diagnostic.js";
import { findSection } from "../image/image.js";
import type { RegisterCommand } from "./commands.js";
import { EXIT_INPUT, EXIT_OK, parseDiagnosticsFormat, readSource, reportDiagnostics, usageError, writeOutput } from "./common.js";

interface AsmCommandOptions {
  readonly listing?: boolean;
  readonly hex?: boolean;
  readonly output?: string;
  readonly format: string;
  readonly diagnosticsFormat: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** `LINE<TAB>OFFSET<TAB>HEX<TAB>SOURCE`, one line per source line that emitted bytes. */
export function formatListing(lines: readonly ListingLine[]): string {
  return lines.map((l) => `${l.line}\t${l.offset.toString(16)}\t${hex(l.bytes)}\t${l.source}\n`).join("");
}

export const registerAsm: RegisterCommand = (program: Command, setExit) => {
  program
    .command("asm")
    .description("assemble AT&T x86-64 source, byte for byte as GNU as --64 would")
    .argument("<file>", "assembler source ('-' reads stdin)")
    .option("--listing", "print LINE, OFFSET, HEX and SOURCE for every line that emits bytes")
    .option("--hex", "print the bytes of .text as one hex string")
    .option("-o, --output <file>", "write the object file")
    .option("--format <format>", "object format for -o: elf or bin (the raw .text bytes)", "elf")
    .option("--diagnostics-format <format>", "text, json or sarif", "text")
    .action(async (path: string, options: AsmCommandOptions) => {
      const diagnosticsFormat = parseDiagnosticsFormat(options.diagnosticsFormat);
      if (options.format !== "elf" && options.format !== "bin") throw usageError(`unknown object format '${options.format}' (expected elf or bin)`);
      const file = readSource(path);
      const { assemble } = await import("../asm/assembler.js");
      const result = assemble(file);
      reportDiagnostics(result.diagnostics, diagnosticsFormat);
      if (hasErrors(result.diagnostics)) return setExit(EXIT_INPUT);
      const text = findSection(result.image, ".text")!.data;
      if (options.output !== undefined) {
        const { writeElf } = await import("../image/elf-write.js");
        writeOutput(options.output, options.format === "bin" ? text : writeElf(result.image));
      }
      if (options.listing) process.stdout.write(formatListing(result.listing));
      if (options.hex) process.stdout.write(hex(text) + "\n");
      setExit(EXIT_OK);
    });
};
