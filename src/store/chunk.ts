// Splitting one call's rows or keys into statements a database and its driver can carry.

/**
 * Consecutive runs of `items` of at most `count` items whose sizes add up to at most `max`
 * (at least one item each: an item larger than `max` is a run of its own, for the database to
 * accept or refuse). One run, without copying, when everything fits.
 */
export function chunked<T>(items: T[], size: (item: T) => number, max: number, count = Infinity): T[][] {
  const runs: T[][] = [];
  let start = 0;
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const s = size(items[i]!);
    if (i > start && (total + s > max || i - start >= count)) {
      runs.push(items.slice(start, i));
      start = i;
      total = 0;
    }
    total += s;
  }
  if (start === 0) return items.length > 0 ? [items] : [];
  runs.push(items.slice(start));
  return runs;
}
