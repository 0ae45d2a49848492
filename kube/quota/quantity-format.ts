/**
 * Quantities back to text the way apimachinery's Quantity.String() canonicalizes them, for the
 * messages admission plugins answer (`requested: requests.cpu=500m`) and the totals the quota
 * writes to status.used: the largest suffix that keeps the number whole, binary suffixes for
 * byte-like resources when the value is a whole number of KiB.
 */

const DECIMAL_SUFFIXES: readonly (readonly [string, bigint])[] = [
  ['E', 10n ** 18n],
  ['P', 10n ** 15n],
  ['T', 10n ** 12n],
  ['G', 10n ** 9n],
  ['M', 10n ** 6n],
  ['k', 10n ** 3n],
];
const BINARY_SUFFIXES: readonly (readonly [string, bigint])[] = [
  ['Ei', 2n ** 60n],
  ['Pi', 2n ** 50n],
  ['Ti', 2n ** 40n],
  ['Gi', 2n ** 30n],
  ['Mi', 2n ** 20n],
  ['Ki', 2n ** 10n],
];
const NANO = 10n ** 9n;

/** `nanos` (as quantity.ts parses) as canonical text; `binary` prefers Ki/Mi/Gi for whole multiples. */
export function formatQuantity(nanos: bigint, binary = false): string {
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  if (abs % NANO === 0n) {
    const units = abs / NANO;
    const table = binary ? [...BINARY_SUFFIXES, ...DECIMAL_SUFFIXES] : DECIMAL_SUFFIXES;
    for (const [suffix, factor] of table) if (units % factor === 0n) return `${sign}${units / factor}${suffix}`;
    return `${sign}${units}`;
  }
  if (abs % 10n ** 6n === 0n) return `${sign}${abs / 10n ** 6n}m`;
  if (abs % 10n ** 3n === 0n) return `${sign}${abs / 10n ** 3n}u`;
  return `${sign}${abs}n`;
}

/** Whether a resource counts bytes (memory, storage): those print in binary suffixes. */
export function isByteResource(resource: string): boolean {
  return /memory|storage/.test(resource);
}
