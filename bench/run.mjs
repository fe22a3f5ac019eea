#!/usr/bin/env node
// `npm run bench`: runs every benchmark module in bench/ (each exports `run()` returning rows
// { name, value, unit, peer?, ratio?, note? }) and rewrites BENCHMARKS.md with the results, the
// command and the machine. Benchmarks import the compiled library from dist/ (npm ci builds it).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = [
  ["Assembler", "asm.mjs"],
  ["Disassembler", "disasm.mjs"],
  ["Emulator", "emu.mjs"],
  ["Language checker", "check.mjs"],
];

function tool(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0].trim();
  } catch {
    return "not found";
  }
}

/**
 * Runs one suite in a fresh Node process: a suite measured after others would pay for their
 * heap (the checker's growth with file size is mostly the collector's work).
 */
function runSuite(path) {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(path).href)}); process.stdout.write(JSON.stringify(await m.run()));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 }));
}

function fmt(v) {
  if (typeof v !== "number") return String(v);
  if (Math.abs(v) >= 1000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return v.toPrecision(3);
}

const only = process.argv.slice(2);
const sections = [];
for (const [title, file] of SUITES) {
  if (only.length && !only.some((o) => file.startsWith(o))) continue;
  process.stderr.write(`bench: ${title}...\n`);
  const rows = runSuite(join(here, file));
  sections.push({ title, rows });
  for (const r of rows) process.stderr.write(`  ${r.name}: ${fmt(r.value)} ${r.unit}${r.ratio !== undefined ? ` (ratio ${fmt(r.ratio)} vs ${r.peer})` : ""}\n`);
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "# Benchmarks",
  "",
  "Written by `npm run bench` (bench/run.mjs); do not edit by hand. Every ratio compares pvopc",
  "with a peer measured in the same run on the same input: a ratio below 1 means pvopc took",
  "less time (or, for rates, the ratio is pvopc's slowdown against the peer as stated).",
  "",
  `- Command: \`npm run bench\``,
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
  `- Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  `- Node: ${process.version}; ${tool("as", ["--version"])}; ${tool("objdump", ["--version"])}; ${tool("gcc", ["--version"])}`,
  "",
];
for (const { title, rows } of sections) {
  lines.push(`## ${title}`, "", "| measurement | value | unit | peer | ratio | note |", "|---|---:|---|---|---:|---|");
  for (const r of rows) lines.push(`| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${r.peer ?? ""} | ${r.ratio !== undefined ? fmt(r.ratio) : ""} | ${r.note ?? ""} |`);
  lines.push("");
}
if (only.length) {
  process.stderr.write("bench: partial run, BENCHMARKS.md left unchanged\n");
} else {
  writeFileSync(join(here, "..", "BENCHMARKS.md"), lines.join("\n"));
  process.stderr.write("bench: wrote BENCHMARKS.md\n");
}
