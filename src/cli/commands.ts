import type { Command } from "commander";
import { registerAsm } from "./asm.js";
import { registerBuild } from "./build.js";
import { registerCheck } from "./check.js";
import { registerDisasm } from "./disasm.js";
import { registerEmu } from "./emu.js";

/**
 * A command module adds its subcommand to the program. `setExit` records the exit code the
 * command wants (commands never call process.exit, so that tests can run them in-process).
 */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const COMMANDS: RegisterCommand[] = [registerAsm, registerBuild, registerCheck, registerDisasm, registerEmu];
