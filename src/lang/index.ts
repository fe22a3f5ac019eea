/**
 * The .pvop front end's API, shared by the CLI, the language server, the formatter and the
 * code generator: parse text to an AST, check it to a Model, all with Diagnostic values whose
 * spans map to 1-based (CLI) and 0-based (LSP) positions through their SourceFile.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SourceFile, sortDiagnostics } from "../diag/diagnostic.js";
import { renderTextAll } from "../diag/render.js";
import { check, type CheckOptions, type CheckResult } from "./check.js";

export { parse, type ParseResult } from "./parse.js";
export { check, CALL_SITE_LENGTH, MAX_ROOM, type CheckOptions, type CheckResult } from "./check.js";
export { CODES, type CodeName } from "./codes.js";
export type * as Ast from "./ast.js";
export type * from "./model.js";
export { VALUE_TYPES, typeBits } from "./model.js";

/** Checks in-memory text (an editor buffer, a test): imports are read with `options.readImport`. */
export function checkText(text: string, name = "<input>", options: CheckOptions = {}): CheckResult {
  return check(new SourceFile(name, text), options);
}

/**
 * Reads an import relative to the importing file's directory (the CLI's choice). The name is
 * normalised but stays relative when the importing file's is, so messages name files as the
 * user wrote them and the same file always gets the same name (import cycles are found by name).
 */
export function readImportFromDisk(path: string, from: SourceFile): SourceFile | undefined {
  const full = join(dirname(from.name), path);
  try {
    return new SourceFile(full, readFileSync(full, "utf8"));
  } catch {
    return undefined;
  }
}

/** Checks a file and renders its diagnostics as `pvopc check` prints them without colour. */
export function checkToText(file: SourceFile, options: CheckOptions = {}): string {
  return renderTextAll(sortDiagnostics(check(file, options).diagnostics), { color: false });
}
