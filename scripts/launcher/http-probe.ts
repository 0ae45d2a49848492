import { get } from 'node:http';
import { get as httpsGet } from 'node:https';

/** TLS material for probing an https component: the CA to verify it with, and a client certificate to present. */
export interface ProbeTls {
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
}

/**
 * The HTTP status a GET on `url` answers, or undefined when nothing answers within `timeoutMs`.
 * One connection per probe (no keep-alive), so a finished probe holds no socket open. An https
 * URL is verified against `tls.caPem` when given; without it the probe only asks whether the
 * process answers (the apiserver we just started on loopback), so it skips verification and
 * relies on /readyz being open to anonymous requests, as kube-apiserver's is.
 */
export function httpStatus(url: string, timeoutMs = 2000, tls?: ProbeTls): Promise<number | undefined> {
  return new Promise((resolve) => {
    const done = (res: { statusCode?: number | undefined; resume(): void }): void => {
      res.resume();
      resolve(res.statusCode);
    };
    const req = url.startsWith('https:')
      ? httpsGet(
          url,
          {
            agent: false,
            timeout: timeoutMs,
            rejectUnauthorized: tls?.caPem !== undefined,
            ...(tls?.caPem !== undefined ? { ca: tls.caPem } : {}),
            ...(tls?.certPem !== undefined && tls.keyPem !== undefined ? { cert: tls.certPem, key: tls.keyPem } : {}),
          },
          done,
        )
      : get(url, { agent: false, timeout: timeoutMs }, done);
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}
