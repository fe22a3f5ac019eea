/**
 * `pvopc build FILE -o DIR [--emit s,h,json,o]`: check a .pvop file and write the artefacts a
 * kernel build links. Every output is produced in memory first and written atomically only
 * when the whole build succeeded, so a failed build leaves DIR as it was.
 */
import { basename, extname, join } from "node:path";
import type { RegisterCommand } from "./commands.js";
import { EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, parseDiagnosticsFormat, readSource, reportDiagnostics, usageError, writeOutput } from "./common.js";

const EMITS = ["s", "h", "json", "o"] as const;
type Emit = (typeof EMITS)[number];

function parseEmit(value: string): Set<Emit> {
  const out = new Set<Emit>();
  for (const part of value.split(",").map((p) => p.trim())) {
    if (!(EMITS as readonly string[]).includes(part)) throw usageError(`--emit: unknown output '${part}' (expected ${EMITS.join(", ")})`);
    out.add(part as Emit);
  }
  return out;
}

interface BuildCommandOptions {
  readonly output: string;
  readonly emit: string;
  readonly diagnosticsFormat: string;
  readonly quiet?: boolean;
}

export const registerBuild: RegisterCommand = (program, setExit) => {
  program
    .command("build")
    .description("compile a .pvop file: .S source, C header, patch-table.json and an ELF object")
    .argument("<file>", ".pvop file")
    .requiredOption("-o, --output <dir>", "directory for the outputs")
    .option("--emit <list>", `outputs to write, comma separated: ${EMITS.join(",")}`, EMITS.join(","))
    .option("--diagnostics-format <format>", "text, json or sarif", "text")
    .option("-q, --quiet", "do not print the build report")
    .action(async (path: string, options: BuildCommandOptions) => {
      const emit = parseEmit(options.emit);
      const format = parseDiagnosticsFormat(options.diagnosticsFormat);
      const source = readSource(path);
      const [{ check, readImportFromDisk }, { build, formatReport }] = await Promise.all([import("../lang/index.js"), import("../pvop/build.js")]);
      const checked = check(source, { readImport: readImportFromDisk });
      if (reportDiagnostics(checked.diagnostics, format)) return setExit(EXIT_INPUT);
      const stem = basename(path, extname(path));
      const result = build(checked.model, { sourceName: path, baseName: stem });
      if (!result.ok) {
        reportDiagnostics(result.diagnostics, format);
        return setExit(EXIT_INTERNAL);
      }
      const { artifacts } = result;
      const outputs: [Emit, string, string | Uint8Array][] = [
        ["s", `${stem}.S`, artifacts.assembly],
        ["h", `${stem}.h`, artifacts.header],
        ["json", "patch-table.json", JSON.stringify(artifacts.patchTable, null, 2) + "\n"],
        ["o", `${stem}.o`, artifacts.object],
      ];
      for (const [kind, name, data] of outputs) if (emit.has(kind)) writeOutput(join(options.output, name), data);
      if (!options.quiet && format === "text") process.stdout.write(formatReport(result.report));
      setExit(EXIT_OK);
    });
};
