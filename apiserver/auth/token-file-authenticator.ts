import { readFileSync } from 'node:fs';
import type { AuthenticationRequest, Authenticator } from './authenticator.js';
import { bearerToken } from './service-account-authenticator.js';
import type { UserInfo } from './user-info.js';

/**
 * kube-apiserver's static token file (`--token-auth-file`, plugin/pkg/authenticator/token/
 * tokenfile): CSV lines `token,user,uid[,"group1,group2"]`. A bearer token in the file is that
 * user; any other token is not this authenticator's (undefined: the chain answers 401 when no
 * one takes it). The file is read once, at start, as kube does.
 */
export class TokenFileAuthenticator implements Authenticator {
  private readonly users: ReadonlyMap<string, UserInfo>;

  constructor(users: ReadonlyMap<string, UserInfo>) {
    this.users = users;
  }

  static fromFile(path: string): TokenFileAuthenticator {
    return new TokenFileAuthenticator(parseTokenFile(readFileSync(path, 'utf8'), path));
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined> {
    const token = bearerToken(req);
    return token === undefined ? undefined : this.users.get(token);
  }
}

/** A token file that cannot be used; the message names the file and the line. */
export class TokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenFileError';
  }
}

/**
 * The users of a token file's text, by token. As kube: at least 3 columns; a record with an empty
 * token is skipped; the 4th column is the groups, comma-separated (so quoted); a later duplicate
 * token wins; leading spaces of a field are trimmed; blank lines are skipped.
 */
export function parseTokenFile(text: string, name = 'token file'): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  for (const { line, fields } of csvRecords(text, name)) {
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length < 3) throw new TokenFileError(`${name} line ${line}: must have at least 3 columns (token, user name, user uid), found ${fields.length}`);
    const [token = '', user = '', uid = '', groups] = fields;
    if (token === '') continue;
    users.set(token, { name: user, uid, groups: groups === undefined || groups === '' ? [] : groups.split(',') });
  }
  return users;
}

/** RFC 4180 records (quoted fields, `""` for a quote inside one), with the line each starts on. */
function* csvRecords(text: string, name: string): Generator<{ line: number; fields: string[] }> {
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      while (text[i] === ' ' || text[i] === '\t') i++;
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new TokenFileError(`${name} line ${start}: unterminated quoted field`);
          const c = text[i] as string;
          if (c === '"' && text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else if (c === '"') {
            i++;
            break;
          } else {
            if (c === '\n') line++;
            field += c;
            i++;
          }
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (i < text.length && text[i] !== '\n') throw new TokenFileError(`${name} line ${line}: unexpected ${JSON.stringify(text[i])} after a quoted field`);
      i++;
      line++;
      break;
    }
    yield { line: start, fields };
  }
}
