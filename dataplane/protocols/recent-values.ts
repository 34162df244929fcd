// A few values computed from objects that never change, kept by the objects' identity: the
// parsers see the same handful of header sections over and over, each parsed once into an object.

export class RecentValues<Key extends object, Value> {
  // Most recently used first.
  private readonly keys: Key[] = [];
  private readonly values: Value[] = [];

  constructor(
    private readonly capacity: number,
    private readonly compute: (key: Key) => Value,
  ) {}

  get(key: Key): Value {
    const { keys, values } = this;
    let i = 0;
    while (i < keys.length && keys[i] !== key) i++;
    if (i === 0 && keys.length > 0) return values[0]!;
    let value: Value;
    if (i < keys.length) {
      value = values[i]!;
    } else {
      value = this.compute(key);
      if (keys.length < this.capacity) {
        keys.push(key);
        values.push(value);
      } else {
        i = keys.length - 1;
      }
    }
    for (let j = i; j > 0; j--) {
      keys[j] = keys[j - 1]!;
      values[j] = values[j - 1]!;
    }
    keys[0] = key;
    values[0] = value;
    return value;
  }
}
