/**
 * What every command shares: exit codes, reading inputs, colour policy and diagnostic output.
 * Commands hold no logic a library user would want; they parse options, call the library and
 * print.
 */
import { readFileSync } from "node:fs";
import { SourceFile, hasErrors, sortDiagnostics, type Diagnostic } from "../diag/diagnostic.js";
import { renderDiagnostics, type DiagnosticsFormat } from "../diag/render.js";
import { writeFileAtomic } from "../util/fs.js";
import { VERSION } from "../version.js";

export const EXIT_OK = 0;
/** Errors in the input, or a failed verification. */
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/** A failure that ends the command with a message and an exit code (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Colour only on a TTY, never with NO_COLOR set (any value), and never in CI logs. */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if ("NO_COLOR" in process.env) return false;
  return Boolean(stream.isTTY);
}

/** Reads a source file (or stdin for "-") as text. A missing file is a usage error. */
export function readSource(path: string): SourceFile {
  if (path === "-") return new SourceFile("<stdin>", readFileSync(0, "utf8"));
  try {
    return new SourceFile(path, readFileSync(path, "utf8"));
  } catch (e) {
    throw usageError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Writes an output file atomically; a path that cannot be written is a usage error. */
export function writeOutput(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomic(path, data);
  } catch (e) {
    throw usageError(`cannot write '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function readBinary(path: string): Uint8Array {
  try {
    return path === "-" ? readFileSync(0) : readFileSync(path);
  } catch (e) {
    throw usageError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export function parseDiagnosticsFormat(value: string): DiagnosticsFormat {
  if (value === "text" || value === "json" || value === "sarif") return value;
  throw usageError(`unknown diagnostics format '${value}' (expected text, json or sarif)`);
}

/** Prints diagnostics to stderr (text) or stdout (json, sarif) and says whether any is an error. */
export function reportDiagnostics(diags: readonly Diagnostic[], format: DiagnosticsFormat = "text"): boolean {
  const sorted = sortDiagnostics(diags);
  if (format === "text") {
    if (sorted.length) process.stderr.write(renderDiagnostics(sorted, "text", { color: colorEnabled(process.stderr), toolVersion: VERSION }));
  } else {
    process.stdout.write(renderDiagnostics(sorted, format, { color: false, toolVersion: VERSION }));
  }
  return hasErrors(sorted);
}

/** Parses an integer option written in decimal or 0x hex (may be negative). */
export function parseInteger(text: string, what: string): bigint {
  const t = text.trim();
  const m = /^(-)?(0x[0-9a-f]+|[0-9]+)$/i.exec(t);
  if (!m) throw usageError(`${what}: '${text}' is not a number`);
  const v = BigInt(m[2]!);
  return m[1] ? -v : v;
}
