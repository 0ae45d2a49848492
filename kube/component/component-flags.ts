import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A command line a component cannot run with; the message names the flag. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export type FlagValues = Record<string, string | boolean | undefined>;

/**
 * node:util parseArgs over a component's flags, its complaints (unknown flag, missing value) as
 * FlagErrors. The flags in `kubeBooleans` are kube-style booleans that default to true, declared
 * as strings so that `--leader-elect=false` works; given alone they mean true (kubeBoolean reads them).
 */
export function parseComponentFlags(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  kubeBooleans: readonly string[] = [],
): FlagValues {
  const alone = new Set(kubeBooleans.map((f) => `--${f}`));
  const args = argv.map((a) => (alone.has(a) ? `${a}=true` : a));
  try {
    return parseArgs({ args, options }).values as FlagValues;
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
}

/** A kube-style boolean flag's value: `true` or `false`, in any case. */
export function kubeBoolean(value: string | boolean | undefined, flag: string): boolean {
  const text = String(value).toLowerCase();
  if (text !== 'true' && text !== 'false') throw new FlagError(`${flag} must be true or false`);
  return text === 'true';
}

/** A number flag from `min` to `max`, a whole one unless `integer` is false. */
export function numberFlag(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER, integer = true): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new FlagError(`${flag} must be ${integer ? 'an integer' : 'a number'} from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
  }
  return n;
}
