/**
 * A growable table of rows of small integers kept in one typed array. The assembler records
 * something for nearly every source line (statement extents, emitted instructions); as objects
 * those would be hundreds of thousands of long-lived allocations for the garbage collector to
 * copy around, as rows they are one buffer that doubles when full.
 */
export class IntRows {
  private data: Int32Array;
  /** Number of rows. */
  count = 0;

  constructor(
    /** Fields per row. */
    readonly width: number,
  ) {
    this.data = new Int32Array(width * 256);
  }

  /** Appends a row of zeros and returns its index. */
  add(): number {
    if ((this.count + 1) * this.width > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
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
