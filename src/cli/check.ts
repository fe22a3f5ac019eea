/** `pvopc check FILE...`: parse and check .pvop files, print diagnostics, exit 0/1/2. */
import type { Command } from "commander";
import type { Diagnostic } from "../diag/diagnostic.js";

import type { RegisterCommand } from "./commands.js";
import { EXIT_INPUT, EXIT_OK, parseDiagnosticsFormat, readSource, reportDiagnostics, usageError } from "./common.js";

interface CheckCommandOptions {
  readonly diagnosticsFormat: string;
  readonly W?: string;
}

/** With -Werror a warning counts as an error (and says so, as GCC does). */
export function promoteWarnings(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.map((d) => (d.severity === "warning" ? { ...d, severity: "error", message: `${d.message} [-Werror]` } : d));
}

export const registerCheck: RegisterCommand = (program: Command, setExit) => {
  program
    .command("check")
    .description("parse and check .pvop files; report every error and warning")
    .argument("<files...>", ".pvop files ('-' reads stdin)")
    .option("--diagnostics-format <format>", "text, json or sarif", "text")
    .option("-W <option>", "-Werror: treat warnings as errors")
    .action(async (files: string[], options: CheckCommandOptions) => {
      const format = parseDiagnosticsFormat(options.diagnosticsFormat);
      if (options.W !== undefined && options.W !== "error") throw usageError(`unknown option '-W${options.W}' (only -Werror is known)`);
      const sources = files.map(readSource);
      const { check, readImportFromDisk } = await import("../lang/index.js");
      let diagnostics = sources.flatMap((file) => check(file, { readImport: readImportFromDisk }).diagnostics);
      if (options.W === "error") diagnostics = promoteWarnings(diagnostics);
      setExit(reportDiagnostics(diagnostics, format) ? EXIT_INPUT : EXIT_OK);
    });
};
