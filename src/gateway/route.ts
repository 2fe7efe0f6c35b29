/**
 * Which handler answers a request (docs/configuration.md "Framing and paths"): the proxy's own paths, the OTA path
 * and its neighbours, or the upstream as is. Pure and table-tested.
 *
 * For the operator routes (`healthz`, `readyz`, `metrics`, `admin` — every `/admin/…` path, the fleet API
 * and console included) this decides only WHERE they are answered: on which listener, and whether /admin
 * exists at all (off → `not-found`). All four go to the one operator listener (src/admin/), which routes
 * within itself.
 */

export type Route =
  | 'ota-check'
  | 'ota-get'
  | 'ota-other'
  | 'activate'
  | 'upstream-download'
  | 'firmware'
  | 'healthz'
  | 'readyz'
  | 'metrics'
  | 'admin'
  | 'not-found'
  | 'proxy';

export interface RouteSettings {
  /** Normalised: ends with `/`. */
  readonly otaPath: string;
  readonly catalog: boolean;
  readonly adminEnabled: boolean;
  /** Whether /metrics and /admin/… live on a separate listener. */
  readonly adminListener: boolean;
  /** Which listener this request arrived on. */
  readonly listener: 'main' | 'admin';
}

/**
 * The path part of a request target (origin-form or absolute-form), without the query — taken as text, never
 * normalised: `http://h/firmware/../x` routes as `/firmware/../x`, the path that would be forwarded.
 */
export function pathnameOf(target: string | undefined): string {
  if (target === undefined || target === '') return '/';
  let path = target;
  if (!path.startsWith('/')) {
    const scheme = path.indexOf('://');
    if (scheme < 0) return path;
    const slash = path.indexOf('/', scheme + 3);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  const q = path.indexOf('?');
  return q >= 0 ? path.slice(0, q) : path;
}

const UPSTREAM_DOWNLOADS = ['/xiaozhi/ota/download/', '/xiaozhi/otaMag/download/'];

export function routeRequest(method: string, pathname: string, s: RouteSettings): Route {
  if (s.listener === 'admin') {
    if (pathname === '/healthz') return 'healthz';
    if (pathname === '/readyz') return 'readyz';
    if (pathname === '/metrics') return 'metrics';
    if (pathname === '/admin' || pathname.startsWith('/admin/'))
      return s.adminEnabled ? 'admin' : 'not-found';
    return 'not-found';
  }
  if (pathname === '/healthz') return 'healthz';
  if (pathname === '/readyz') return 'readyz';
  if (pathname === '/metrics') return s.adminListener ? 'not-found' : 'metrics';
  if (pathname === '/admin' || pathname.startsWith('/admin/'))
    return s.adminEnabled && !s.adminListener ? 'admin' : 'not-found';
  if (pathname.startsWith('/firmware/')) return s.catalog ? 'firmware' : 'not-found';
  const ota = s.otaPath;
  if (pathname === ota || pathname === ota.slice(0, -1)) {
    if (method === 'POST') return 'ota-check';
    if (method === 'GET' || method === 'HEAD') return 'ota-get';
    return 'ota-other';
  }
  if (pathname === `${ota}activate` || pathname === `${ota}activate/`) return 'activate';
  if (
    pathname.startsWith(`${ota}download/`) ||
    UPSTREAM_DOWNLOADS.some((prefix) => pathname.startsWith(prefix))
  ) {
    return 'upstream-download';
  }
  return 'proxy';
}
