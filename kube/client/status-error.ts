/**
 * Reading a `metav1.Status` out of an error answer, and the reason kube gives an HTTP code when
 * the body is not a Status (apimachinery's `errors.NewGenericServerResponse`).
 */
import { isPlainObject } from '../object.js';
import type { ApiStatus } from './api-client.js';

/** The Status in a JSON body, or undefined when the body is something else. */
export function statusFromBody(text: string): ApiStatus | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || parsed.kind !== 'Status') return undefined;
  return parsed as unknown as ApiStatus;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForCode(code: number): string {
  return REASONS[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}
