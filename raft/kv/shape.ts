/**
 * Checks for data arriving as `unknown` at a decode boundary (command bytes, snapshot bytes):
 * each either returns the value with its type narrowed or calls `fail`, which throws the
 * boundary's typed error. Maps must be plain objects whose every field is known; fields are
 * read only if they are the object's own (never inherited), and a field present as `undefined`
 * counts as absent.
 */

export type Fail = (reason: string) => never;

export type Fields = Readonly<Record<string, unknown>>;

export class Shape {
  readonly fail: Fail;

  constructor(fail: Fail) {
    this.fail = fail;
  }

  /** A plain map with no fields outside `allowed`. */
  map(value: unknown, path: string, allowed: readonly string[]): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) this.fail(`${path} must be a map`);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) this.fail(`${path} must be a plain map`);
    for (const name of Object.keys(value)) {
      if (!allowed.includes(name)) this.fail(`${path} has an unknown field ${JSON.stringify(name)}`);
    }
    return value as Fields;
  }

  /** An own field's value, undefined if absent. */
  field(fields: Fields, name: string): unknown {
    return Object.hasOwn(fields, name) ? fields[name] : undefined;
  }

  array(value: unknown, path: string, lengthMax = Number.POSITIVE_INFINITY): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(`${path} must be an array`);
    if (value.length > lengthMax) this.fail(`${path} has ${value.length} items, more than ${lengthMax}`);
    return value;
  }

  /** An array of exactly `length` items (a positional record). */
  tuple(value: unknown, path: string, length: number): readonly unknown[] {
    const items = this.array(value, path);
    if (items.length !== length) this.fail(`${path} must have ${length} items, has ${items.length}`);
    return items;
  }

  string(value: unknown, path: string, lengthMax = Number.POSITIVE_INFINITY): string {
    if (typeof value !== 'string') this.fail(`${path} must be a string`);
    if (value.length > lengthMax) this.fail(`${path} is longer than ${lengthMax}`);
    return value;
  }

  /** A safe integer in [min, max]. */
  int(value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(`${path} must be an integer`);
    if (value < min || value > max) this.fail(`${path} must be from ${min} to ${max}, got ${value}`);
    return value;
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(`${path} must be a boolean`);
    return value;
  }

  bytes(value: unknown, path: string): Uint8Array {
    if (!(value instanceof Uint8Array)) this.fail(`${path} must be bytes`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      this.fail(`${path} must be one of ${options.join(', ')}`);
    }
    return value as T;
  }

  optString(fields: Fields, name: string, path: string, lengthMax?: number): string | undefined {
    const value = this.field(fields, name);
    return value === undefined ? undefined : this.string(value, `${path}.${name}`, lengthMax);
  }

  optInt(fields: Fields, name: string, path: string, min?: number, max?: number): number | undefined {
    const value = this.field(fields, name);
    return value === undefined ? undefined : this.int(value, `${path}.${name}`, min, max);
  }

  optBool(fields: Fields, name: string, path: string): boolean | undefined {
    const value = this.field(fields, name);
    return value === undefined ? undefined : this.bool(value, `${path}.${name}`);
  }
}

/** Fields whose type admits undefined become optional (and never undefined): exactOptionalPropertyTypes-friendly. */
export type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Copies the defined entries of `fields`, so optional fields stay absent rather than undefined. */
export function defined<T extends Record<string, unknown>>(fields: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) out[name] = value;
  return out as Defined<T>;
}
