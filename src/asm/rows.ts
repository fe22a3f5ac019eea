/** Every growable store starts this small; big inputs double their way up. */
export const INITIAL_ROWS = 16;

type Scratch = Int32Array | Float64Array | Uint8Array;
type ScratchType<T extends Scratch> = new (length: number) => T;

/**
 * Longest array the pool keeps, how many of one type and length, and the most bytes it holds
 * in all (a long-running language server assembles bodies of every size).
 */
const MAX_POOLED_LENGTH = 1 << 12;
const POOL_DEPTH = 8;
const MAX_POOLED_BYTES = 1 << 22;

/** Arrays given back by finished assemblies, by type and length. */
const pool = new Map<ScratchType<Scratch>, Map<number, Scratch[]>>();
let pooledBytes = 0;

/**
 * Where one assembly's stores get their typed arrays. A typed array's contents live outside
 * the JavaScript heap: allocating one costs a system allocation, and V8 starts a full
 * collection whenever such memory has grown by tens of megabytes. The language checker
 * assembles tens of thousands of one-line bodies, each needing some twenty small arrays; fresh
 * ones made the checker's time grow with the square of the file (a full collection every few
 * thousand bodies, each walking everything checked so far). An assembly whose results no
 * longer need its stores recycles them, and the next takes them from the pool.
 */
export class ArrayArena {
  private readonly held: Scratch[] = [];

  int32(length: number): Int32Array {
    return this.take(Int32Array, length);
  }

  float64(length: number): Float64Array {
    return this.take(Float64Array, length);
  }

  uint8(length: number): Uint8Array {
    return this.take(Uint8Array, length);
  }

  /** An array of `length` (more than the old one's) starting with `old`'s contents; `old` goes back to the pool. */
  grow<T extends Scratch>(old: T, length: number): T {
    const grown = this.take(old.constructor as ScratchType<T>, length);
    grown.set(old);
    this.release(old);
    return grown;
  }

  /** Gives back one array that its store has replaced. */
  release(array: Scratch): void {
    const k = this.held.indexOf(array);
    if (k < 0) return;
    this.held[k] = this.held[this.held.length - 1]!;
    this.held.pop();
    giveBack(array);
  }

  /** Gives every array this arena handed out back to the pool; none may be used afterwards. */
  recycle(): void {
    for (const array of this.held) giveBack(array);
    this.held.length = 0;
  }

  /** A zeroed array, as `new type(length)` makes. */
  private take<T extends Scratch>(type: ScratchType<T>, length: number): T {
    const reused = pool.get(type)?.get(length)?.pop() as T | undefined;
    if (reused) pooledBytes -= reused.byteLength;
    const array = reused ? (reused.fill(0), reused) : new type(length);
    this.held.push(array);
    return array;
  }
}

function giveBack(array: Scratch): void {
  if (array.length > MAX_POOLED_LENGTH || pooledBytes + array.byteLength > MAX_POOLED_BYTES) return;
  const type = array.constructor as ScratchType<Scratch>;
  let byLength = pool.get(type);
  if (!byLength) pool.set(type, (byLength = new Map()));
  let free = byLength.get(array.length);
  if (!free) byLength.set(array.length, (free = []));
  if (free.length >= POOL_DEPTH) return;
  free.push(array);
  pooledBytes += array.byteLength;
}

/** Slots for a hash table that holds `expected` entries at most half full (a power of two). */
export function hashCapacity(expected: number): number {
  let capacity = INITIAL_ROWS;
  while (capacity < expected * 2) capacity *= 2;
  return capacity;
}

/**
 * A growable table of rows of small integers kept in one typed array. The assembler records
 * something for nearly every source line (what each statement emitted, symbols, fixups); as
 * objects those would be hundreds of thousands of long-lived allocations for the garbage
 * collector to copy around, as rows they are one buffer that doubles when full.
 */
export class IntRows {
  private data: Int32Array;
  /** Number of rows. */
  count = 0;

  constructor(
    /** Fields per row. */
    readonly width: number,
    private readonly arena: ArrayArena,
  ) {
    this.data = arena.int32(width * INITIAL_ROWS);
  }

  /** Appends a row of zeros and returns its index. */
  add(): number {
    if ((this.count + 1) * this.width > this.data.length) {
      this.data = this.arena.grow(this.data, this.data.length * 2);
    }
    return this.count++;
  }

  get(row: number, field: number): number {
    return this.data[row * this.width + field]!;
  }

  set(row: number, field: number, value: number): void {
    this.data[row * this.width + field] = value;
  }
}

/**
 * A growable column of 64-bit values (operand values, addends) written at any index: numbers in
 * a typed array where they are exact, which is nearly always, and BigInts aside for the others.
 */
export class ValueColumn {
  private data: Float64Array;
  /** The values that are not exact numbers; their place in `data` holds NaN. */
  private readonly wide = new Map<number, bigint>();

  constructor(private readonly arena: ArrayArena) {
    this.data = arena.float64(INITIAL_ROWS);
  }

  get(i: number): number | bigint {
    const v = this.data[i] ?? 0;
    return Number.isNaN(v) ? this.wide.get(i)! : v;
  }

  set(i: number, value: number | bigint): void {
    if (i >= this.data.length) {
      let size = this.data.length * 2;
      while (size <= i) size *= 2;
      this.data = this.arena.grow(this.data, size);
    }
    const exact = typeof value === "number" ? value : Number(value);
    if (typeof value === "bigint" && !Number.isSafeInteger(exact)) {
      this.data[i] = NaN;
      this.wide.set(i, value);
    } else this.data[i] = exact;
  }
}
