/**
 * Renders diagnostics in GCC's text format (with source line and caret), as JSON, or as
 * SARIF 2.1.0. Colour is applied only when the caller asks (the CLI decides: a TTY and no
 * NO_COLOR).
 */
import pc from "picocolors";
import type { Diagnostic } from "./diagnostic.js";

export type DiagnosticsFormat = "text" | "json" | "sarif";

export interface RenderOptions {
  readonly color: boolean;
}

function severityLabel(d: Diagnostic, color: boolean): string {
  const c = pc.createColors(color);
  if (d.severity === "error") return c.bold(c.red("error:"));
  if (d.severity === "warning") return c.bold(c.magenta("warning:"));
  return c.bold(c.cyan("note:"));
}

/** One diagnostic in GCC style: `file:line:col: error: message [CODE]`, the line, a caret. */
export function renderText(d: Diagnostic, options: RenderOptions): string {
  const c = pc.createColors(options.color);
  const p = d.file.position(d.span.start);
  const head = `${c.bold(`${d.file.name}:${p.line}:${p.column}:`)} ${severityLabel(d, options.color)} ${d.message}${
    d.code ? ` [${d.code}]` : ""
  }`;
  const line = d.file.lineText(p.line);
  const out = [head];
  if (d.file.lineCount >= p.line && (line.length > 0 || d.span.start <= d.file.text.length)) {
    const endPos = d.file.position(Math.max(d.span.start, d.span.end));
    const width = endPos.line === p.line ? Math.max(1, endPos.column - p.column) : Math.max(1, line.length - p.column + 1);
    // Tabs in the prefix stay tabs so that the caret lines up in any terminal.
    const pad = line.slice(0, p.column - 1).replace(/[^\t]/g, " ");
    out.push(` ${line}`);
    out.push(` ${pad}${c.green("^" + "~".repeat(Math.max(0, width - 1)))}`);
  }
  for (const r of d.related ?? []) out.push(renderText(r, options));
  return out.join("\n");
}

export function renderTextAll(diags: readonly Diagnostic[], options: RenderOptions): string {
  return diags.map((d) => renderText(d, options) + "\n").join("");
}

export interface JsonDiagnostic {
  file: string;
  severity: string;
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  related?: JsonDiagnostic[];
}

export function toJson(d: Diagnostic): JsonDiagnostic {
  const s = d.file.position(d.span.start);
  const e = d.file.position(d.span.end);
  const j: JsonDiagnostic = {
    file: d.file.name,
    severity: d.severity,
    code: d.code,
    message: d.message,
    line: s.line,
    column: s.column,
    endLine: e.line,
    endColumn: e.column,
  };
  if (d.related?.length) j.related = d.related.map(toJson);
  return j;
}

export function renderJson(diags: readonly Diagnostic[]): string {
  return JSON.stringify({ diagnostics: diags.map(toJson) }, null, 2) + "\n";
}

export function renderSarif(diags: readonly Diagnostic[], toolVersion: string): string {
  const codes = [...new Set(diags.map((d) => d.code))].sort();
  const result = (d: Diagnostic) => {
    const s = d.file.position(d.span.start);
    const e = d.file.position(d.span.end);
    return {
      ruleId: d.code,
      level: d.severity === "note" ? "note" : d.severity,
      message: { text: d.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: d.file.name },
            region: { startLine: s.line, startColumn: s.column, endLine: e.line, endColumn: Math.max(e.column, s.column) },
          },
        },
      ],
      relatedLocations: (d.related ?? []).map((r, i) => {
        const rs = r.file.position(r.span.start);
        return {
          id: i,
          message: { text: r.message },
          physicalLocation: { artifactLocation: { uri: r.file.name }, region: { startLine: rs.line, startColumn: rs.column } },
        };
      }),
    };
  };
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "pvopc", version: toolVersion, rules: codes.map((id) => ({ id })) } },
        results: diags.map(result),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

export function renderDiagnostics(
  diags: readonly Diagnostic[],
  format: DiagnosticsFormat,
  options: RenderOptions & { toolVersion: string },
): string {
  if (format === "json") return renderJson(diags);
  if (format === "sarif") return renderSarif(diags, options.toolVersion);
  return renderTextAll(diags, options);
}
