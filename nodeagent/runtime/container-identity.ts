/**
 * Names a runtime reports for what it runs, shaped as containerd reports them so that tools that
 * parse them (kubectl describe, client libraries) are content: the image fully qualified
 * (`docker.io/library/busybox:latest`), an image ID with a sha256 digest, a container ID
 * `<runtime>://<64 hex>`. Nothing is pulled: digests are derived from the names, deterministically.
 */

/** `busybox` → `docker.io/library/busybox:latest`, `ghcr.io/x/y` → `ghcr.io/x/y:latest`; digests kept. */
export function normalizeImage(image: string): string {
  const ref = image.trim();
  if (ref === '') return '';
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let name = hasRegistry ? ref : `docker.io/${slash < 0 ? `library/${ref}` : ref}`;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  if (!name.includes('@') && !lastSegment.includes(':')) name += ':latest';
  return name;
}

/** `docker.io/library/busybox@sha256:<digest of the name>`. */
export function imageIdFor(image: string): string {
  const normalized = normalizeImage(image);
  if (normalized === '') return '';
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  const lastSlash = normalized.lastIndexOf('/');
  const colon = normalized.indexOf(':', lastSlash);
  const repo = colon < 0 ? normalized : normalized.slice(0, colon);
  return `${repo}@sha256:${hex64(normalized)}`;
}

/** The ID of one instance of a container: unique per pod uid, container and instance number. */
export function containerIdFor(runtime: string, podUid: string, container: string, instance: number): string {
  return `${runtime}://${hex64(`${podUid}/${container}/${instance}`)}`;
}

/** 64 hex digits from FNV-1a over the text, eight rounds with different seeds. Not cryptographic. */
export function hex64(text: string): string {
  let out = '';
  for (let round = 0; round < 8; round++) {
    let h = (0x811c9dc5 ^ Math.imul(round + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}
