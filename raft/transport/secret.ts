import { readFileSync, statSync } from 'node:fs';

/** The cluster secret could not be loaded; the replica must not start without one. */
export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/**
 * Loads the cluster secret that peers prove to each other in the handshake (handshake.ts).
 *
 * `source` is one of:
 * - `{ file }`: the file's content, trimmed of surrounding whitespace (a trailing newline from
 *   `echo` or an editor is not part of the secret);
 * - `{ value }`: the secret itself, trimmed;
 * - a string: a file if it names an existing file; a string that looks like a path
 *   (starts with `/`, `./`, `../` or `~`) but names no file is an error, so a mistyped path never
 *   silently becomes the secret; anything else is the value itself.
 *
 * An empty secret (after trimming) is refused: it would let anyone join. Returns the UTF-8 bytes.
 */
export function loadSecret(source: string | { readonly file: string } | { readonly value: string }): Uint8Array {
  let value: string;
  if (typeof source === 'string') {
    if (isFile(source)) value = readSecretFile(source);
    else if (/^(\/|\.\.?\/|~)/.test(source)) throw new SecretError(`secret file ${source} does not exist or is not a file`);
    else value = source;
  } else if ('file' in source) {
    value = readSecretFile(source.file);
  } else {
    value = source.value;
  }
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new SecretError('the cluster secret is empty: refusing to run peers without authentication');
  return new TextEncoder().encode(trimmed);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecretError(`cannot read secret file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
