/**
 * Scalar renderings that Kubernetes' Go JSON encoders produce for the apimachinery wrapper types:
 * metav1.Time (RFC 3339, whole seconds, UTC), metav1.MicroTime (RFC 3339 with six fractional
 * digits) and metav1.Duration (Go's time.Duration.String()). Pure functions on integers; the
 * protobuf layer hands over int64s as bigint so nothing is rounded.
 */

/** Seconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: Go refuses to marshal years outside. */
const MIN_SECONDS = -62167219200n;
const MAX_SECONDS = 253402300799n;
const NANOS_PER_SECOND = 1_000_000_000n;

/** metav1.Time as JSON: "2006-01-02T15:04:05Z". Nanoseconds are dropped, as Go's decoder does. */
export function formatTime(seconds: bigint): string {
  return `${isoSeconds(seconds)}Z`;
}

/** metav1.MicroTime as JSON: "2006-01-02T15:04:05.000000Z" (always six fractional digits). */
export function formatMicroTime(seconds: bigint, nanos: bigint): string {
  // time.Unix normalises nanos outside [0, 1e9) into the seconds, so do the same.
  const total = seconds * NANOS_PER_SECOND + nanos;
  const whole = floorDiv(total, NANOS_PER_SECOND);
  const micros = (total - whole * NANOS_PER_SECOND) / 1000n;
  return `${isoSeconds(whole)}.${micros.toString().padStart(6, '0')}Z`;
}

function isoSeconds(seconds: bigint): string {
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new Error(`a timestamp of ${seconds} seconds is outside the years 0000-9999 that Kubernetes can represent`);
  }
  const iso = new Date(Number(seconds) * 1000).toISOString();
  // toISOString gives "YYYY-MM-DDTHH:MM:SS.sssZ" for years 0000-9999.
  return iso.slice(0, 19);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Go's time.Duration.String() for a count of nanoseconds: "1h2m3.5s", "1.5ms", "0s". */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  let rest = negative ? -nanoseconds : nanoseconds;
  let text: string;
  if (rest < NANOS_PER_SECOND) {
    // Below a second Go switches to the largest unit that keeps an integer part.
    const [digits, unit] = rest < 1000n ? [0, 'ns'] : rest < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const scale = 10n ** BigInt(digits);
    text = `${rest / scale}${fraction(rest % scale, digits)}${unit}`;
  } else {
    const fractional = fraction(rest % NANOS_PER_SECOND, 9);
    rest /= NANOS_PER_SECOND;
    text = `${rest % 60n}${fractional}s`;
    rest /= 60n;
    if (rest > 0n) {
      text = `${rest % 60n}m${text}`;
      rest /= 60n;
      if (rest > 0n) text = `${rest}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}

/** ".5" for 500 of 3 digits; "" when zero. Trailing zeros are trimmed, as Go does. */
function fraction(value: bigint, digits: number): string {
  if (value === 0n) return '';
  return `.${value.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}
