/**
 * Cross-site request forgery guard for routes that change state. A browser sends `Origin` with every
 * cross-origin request and with same-origin POSTs; `Sec-Fetch-Site` says where the request came from.
 * A request that a page elsewhere made (an `<form>` post, a `fetch` with `mode: 'no-cors'`) is
 * refused; a request without either header (curl, a script) is not a browser's and passes, as it
 * could send any header it liked anyway. Together with a JSON-only body (which forces a CORS
 * preflight this server never grants) no page elsewhere can change anything here.
 */
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './errors.ts';

/** Same origin as the request was addressed to (scheme, host and port), or refused with 403. */
export const sameOriginOnly: MiddlewareHandler = async (c, next) => {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none')
    throw new HttpError(
      403,
      'cross-origin',
      `requests from another site are refused (Sec-Fetch-Site: ${site.slice(0, 30)})`,
    );
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    const own = new URL(c.req.url).origin;
    if (origin !== own)
      throw new HttpError(
        403,
        'cross-origin',
        `requests from ${origin.slice(0, 100)} are refused; this server is ${own}`,
      );
  }
  await next();
};
