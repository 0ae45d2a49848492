/** Kubernetes timestamps: RFC 3339 in UTC with whole seconds (`metav1.Time`), e.g. `2026-11-27T05:10:45Z`. */
export function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
