import type { Command } from "commander";

/**
 * A command module adds its subcommand to the program. `setExit` records the exit code the
 * command wants (commands never call process.exit, so that tests can run them in-process).
 */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const COMMANDS: RegisterCommand[] = [];
