import { get } from 'node:http';

/**
 * The HTTP status a GET on `url` answers, or undefined when nothing answers within `timeoutMs`.
 * One connection per probe (no keep-alive), so a finished probe holds no socket open.
 */
export function httpStatus(url: string, timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(undefined));
  });
}
