/**
 * Appends every item to `target`. `target.push(...items)` passes the items as arguments, which
 * overflows the stack beyond about 100,000 of them: diagnostics of hostile input get there.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}
