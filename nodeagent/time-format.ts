/**
 * Kubernetes timestamp formats, from ms since the epoch (UTC): `metav1.Time` with whole seconds,
 * `metav1.MicroTime` (Lease renewTime) with six digits, and the RFC 3339 nano form the kubelet
 * prefixes log lines with under `timestamps=true`.
 */

export function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export function rfc3339Micro(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  return `${iso.slice(0, 23)}000Z`;
}

export function rfc3339Nano(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  return `${iso.slice(0, 23)}000000Z`;
}
