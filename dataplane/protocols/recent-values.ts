// A few values computed from objects that never change, kept by the objects' identity: the
// parsers see the same handful of header sections over and over, each parsed once into an object.

interface Entry<Key, Value> {
  readonly key: Key;
  readonly value: Value;
}

export class RecentValues<Key extends object, Value> {
  // Most recently used first.
  private readonly entries: Array<Entry<Key, Value>> = [];

  constructor(
    private readonly capacity: number,
    private readonly compute: (key: Key) => Value,
  ) {}

  get(key: Key): Value {
    const entries = this.entries;
    let i = 0;
    while (i < entries.length && entries[i]!.key !== key) i++;
    if (i < entries.length) {
      if (i > 0) moveToFront(entries, i);
      return entries[0]!.value;
    }
    const entry = { key, value: this.compute(key) };
    if (entries.length < this.capacity) entries.push(entry);
    else entries[entries.length - 1] = entry;
    moveToFront(entries, entries.length - 1);
    return entry.value;
  }
}

/** Moves items[index] to the front, shifting the ones before it back by one. */
export function moveToFront<T>(items: T[], index: number): void {
  const item = items[index]!;
  for (let i = index; i > 0; i--) items[i] = items[i - 1]!;
  items[0] = item;
}
