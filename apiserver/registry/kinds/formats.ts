import { isIP } from 'node:net';
import { DNS1123_SUBDOMAIN_MAX_LENGTH, maxLenError, regexError } from '../../../kube/validation/identifiers.js';

/**
 * String formats of the kinds' own fields (k8s.io/apimachinery/pkg/util/validation), worded as
 * Kubernetes 1.32 words them. Each returns the reasons a value is invalid; empty means valid.
 * The identifier formats every object shares (names, labels) are in kube/validation.
 */

/** `must be between 1 and 65535, inclusive` */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** An IANA service name: a port's name (`http`, `metrics`). */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  else if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function isValidIP(value: string): string[] {
  return isIP(value) === 0 ? ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'] : [];
}

export function isValidIPv4(value: string): string[] {
  return isIP(value) === 4 ? [] : ['must be a valid IPv4 address'];
}

export function isValidIPv6(value: string): string[] {
  return isIP(value) === 6 ? [] : ['must be a valid IPv6 address'];
}

/**
 * An environment variable name. 1.32 enables RelaxedEnvironmentVariableValidation by default:
 * any printable ASCII but '='.
 */
export function isEnvVarName(name: string): string[] {
  return /^[ -<>-~]+$/.test(name) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';

/** A key of a ConfigMap's or Secret's data: a file name in the volume it is mounted as. */
export function isConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (key.length > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!new RegExp(`^${CONFIG_MAP_KEY_FMT}$`).test(key)) {
    errs.push(
      regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'),
    );
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';

/** A DNS-1035 label: a Service's name (a DNS-1123 label that starts with a letter). */
export function isDns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!new RegExp(`^${DNS1035_LABEL_FMT}$`).test(value)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        DNS1035_LABEL_FMT,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

/** `must be greater than or equal to 0` for a negative number (upstream's ValidateNonnegativeField). */
export function nonNegativeErrors(v: unknown): string[] {
  return typeof v === 'number' && v < 0 ? ['must be greater than or equal to 0'] : [];
}

const PERCENT_FMT = '[0-9]+%';

/** An int-or-string that is a count or a percentage (`maxSurge: 25%`); reasons it is neither. */
export function intOrPercentErrors(v: unknown): string[] {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? [] : ['must be greater than or equal to 0'];
  if (typeof v !== 'string') return ["must be an integer or percentage (e.g '5%')"];
  if (!new RegExp(`^${PERCENT_FMT}$`).test(v)) {
    return [regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, '1%', '93%')];
  }
  return [];
}

/** `must not be greater than 100%` for a percentage above 100 (upstream's IsNotMoreThan100Percent). */
export function notMoreThan100PercentErrors(v: unknown): string[] {
  return typeof v === 'string' && /^[0-9]+%$/.test(v) && Number(v.slice(0, -1)) > 100 ? ['must not be greater than 100%'] : [];
}

/** The number in a count or percentage (`25%` → 25), to tell zero from non-zero. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^[0-9]+%$/.test(v) ? Number(v.slice(0, -1)) : 0;
}
