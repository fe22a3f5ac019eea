import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, basename } from "node:path";

let counter = 0;

/**
 * Writes a file atomically: the bytes go to a temporary file in the same directory, which is
 * then renamed over the target, so a reader never sees a partial output and a failed run
 * leaves the previous file (or none) in place. A device or a pipe (`-o /dev/stdout`) is written
 * in place: renaming over it would replace it.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  if (existsSync(path) && !statSync(path).isFile()) {
    writeFileSync(path, data);
    return;
  }
  const dir = dirname(path);
  makeDirectory(dir);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** `mkdir -p` a level at a time: Node's recursive mkdir loops forever under a parent that refuses (/proc). */
function makeDirectory(dir: string): void {
  if (existsSync(dir)) return;
  makeDirectory(dirname(dir));
  mkdirSync(dir);
}
