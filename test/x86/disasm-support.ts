/** Helpers the decoder's differential and round-trip tests share. */
import { decode } from "../../src/x86/decode.js";
import { encodeInstruction, isEncodeError } from "../../src/x86/encode.js";
import { formatInstruction } from "../../src/x86/print.js";
import { gnuSectionBytes } from "../support/toolchain.js";

export const hexBytes = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
export const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** Assembles `source`, dropping the lines as rejects (the corpus generator over-generates). */
export function assembleAcceptedLines(source: string): { bytes: Uint8Array; dropped: number } {
  let lines = source.split("\n");
  let dropped = 0;
  for (;;) {
    try {
      return { bytes: gnuSectionBytes(lines.join("\n")), dropped };
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? e);
      const bad = new Set([...stderr.matchAll(/\.s:(\d+): Error/g)].map((m) => Number(m[1]) - 1));
      if (bad.size === 0) throw e;
      dropped += bad.size;
      lines = lines.map((l, i) => (bad.has(i) ? "" : l));
    }
  }
}

/** The samples (one instruction each) that do not decode and encode back to their bytes. */
export function roundTripFailures(samples: readonly { bytes: Uint8Array; address: bigint }[]): string[] {
  const failures: string[] = [];
  for (const { bytes, address } of samples) {
    const r = decode(bytes, 0, address);
    if (!r.ok) {
      failures.push(`${hexBytes(bytes)}: (bad) ${r.reason}`);
      continue;
    }
    const e = encodeInstruction(r.instruction, address);
    const text = formatInstruction(r.instruction, address, r.length);
    if (isEncodeError(e)) failures.push(`${hexBytes(bytes)} ${text}: ${e.error}`);
    else if (hexBytes(e.bytes) !== hexBytes(bytes.subarray(0, r.length))) failures.push(`${hexBytes(bytes)} ${text}: encodes to ${hexBytes(e.bytes)}`);
  }
  return failures;
}
