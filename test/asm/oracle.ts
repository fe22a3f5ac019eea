/**
 * GNU as as the oracle, per source line: one `as --64 -aln` run gives the bytes each line
 * produced (from the listing) and the lines it complained about (errors and warnings).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withTempDir } from "../support/toolchain.js";

export interface GnuResult {
  /** Lowercase hex of the bytes each 1-based line emitted (lines without bytes are absent). */
  readonly bytes: Map<number, string>;
  /** Messages per 1-based line, for every line as reported an error or a warning on. */
  readonly complaints: Map<number, string[]>;
  /** The object file, when as produced one. */
  readonly object?: Uint8Array;
}

export function gnuAs(source: string, extraArgs: readonly string[] = []): GnuResult {
  return withTempDir((dir) => {
    const s = join(dir, "in.s");
    const o = join(dir, "out.o");
    const l = join(dir, "out.lst");
    writeFileSync(s, source);
    const run = spawnSync("as", ["--64", ...extraArgs, "--listing-cont-lines=1000000", `-aln=${l}`, "-o", o, s], { encoding: "utf8", maxBuffer: 1 << 28 });
    const complaints = new Map<number, string[]>();
    for (const line of run.stderr.split("\n")) {
      const m = /^[^:]*:(\d+): (Error|Warning): (.*)$/.exec(line);
      if (!m) continue;
      const n = Number(m[1]);
      complaints.set(n, [...(complaints.get(n) ?? []), `${m[2]}: ${m[3]}`]);
    }
    const bytes = new Map<number, string>();
    let text = "";
    try {
      text = readFileSync(l, "utf8");
    } catch {
      // no listing: as failed before writing it
    }
    for (const line of text.split("\n")) {
      const first = /^\s*(\d+) [0-9a-f?]{4,} ([0-9A-F]+)/.exec(line);
      const more = /^\s*(\d+)\s+([0-9A-F]+)\s*$/.exec(line);
      const m = first ?? more;
      if (!m) continue;
      const n = Number(m[1]);
      bytes.set(n, (bytes.get(n) ?? "") + m[2]!.toLowerCase());
    }
    let object: Uint8Array | undefined;
    if (run.status === 0) object = new Uint8Array(readFileSync(o));
    return object ? { bytes, complaints, object } : { bytes, complaints };
  });
}
