/**
 * Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`, `128974848`), read exactly enough to
 * compare and add them: as a whole number of nano-units, rounded up as upstream rounds values finer
 * than its precision.
 */

/** Upstream's format, quoted in its parse error. */
export const QUANTITY_FORMAT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const quantityRe = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;

export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_FORMAT}'`;

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENTS: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den !== 0n && num > 0n ? q + 1n : q;
}

/**
 * The quantity in nano-units (`1` → 1e9, `1m` → 1e6, `1Ki` → 1024e9), or undefined when `v` is not
 * a quantity. JSON numbers are accepted, as upstream's decoder accepts them.
 */
export function parseQuantityNanos(v: unknown): bigint | undefined {
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof s !== 'string') return undefined;
  const m = quantityRe.exec(s.trim() === s ? s : '');
  if (!m) return undefined;
  const [, sign = '', whole = '', frac = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  let num = BigInt(`${whole || '0'}${frac}`) * pow10(9);
  let den = pow10(frac.length);
  const binary = BINARY_EXPONENTS[suffix];
  const decimal = DECIMAL_EXPONENTS[suffix];
  if (binary !== undefined) {
    num *= 2n ** BigInt(binary);
  } else if (decimal !== undefined) {
    if (decimal >= 0) num *= pow10(decimal);
    else den *= pow10(-decimal);
  } else {
    const exp = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
    if (!exp?.[1]) return undefined;
    const e = Number(exp[1]);
    if (Math.abs(e) > 30) return undefined;
    if (e >= 0) num *= pow10(e);
    else den *= pow10(-e);
  }
  const nanos = ceilDiv(num, den);
  return sign === '-' ? -nanos : nanos;
}

/** The quantity as written, for messages (`"500m"`); numbers as their decimal form. */
export function quantityText(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
}
