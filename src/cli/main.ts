/**
 * The pvopc command line. Each command lives in its own module and registers itself here.
 * Exit codes: 0 success, 1 errors in the input or a failed verification, 2 usage, 3 internal.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { CliError, EXIT_INTERNAL, EXIT_USAGE } from "./common.js";
import { COMMANDS } from "./commands.js";

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("pvopc")
    .description("compiler for paravirtualized operations, with its own x86-64 assembler, disassembler and emulator")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .showHelpAfterError("(run 'pvopc --help' for usage)");
  let exitCode = 0;
  for (const register of COMMANDS) {
    register(program, (code) => {
      exitCode = code;
    });
  }
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return 0;
      return EXIT_USAGE;
    }
    if (e instanceof CliError) {
      process.stderr.write(`pvopc: ${e.exitCode === EXIT_USAGE ? "usage error" : "error"}: ${e.message}\n`);
      return e.exitCode;
    }
    const detail = process.env.PVOPC_DEBUG ? (e as Error).stack : (e as Error).message;
    process.stderr.write(`pvopc: internal error: ${detail}\nThis is a bug in pvopc; set PVOPC_DEBUG=1 for the stack.\n`);
    return EXIT_INTERNAL;
  }
}
