/**
 * Every configuration default in one place, in the file's own shape and spelling (CONFIG.md "The
 * file"). parse.ts reads a key that the file leaves out from here, through the same validation, and
 * takes each section's allowed keys from here as well.
 */
export const DEFAULTS = {
  // Where devices (or the tunnel/nginx in front) reach the proxy: `host:port` or `[ipv6]:port`
  // (`[::]:8003` for every IPv6 and, dual-stack, IPv4 address). The host is required: write
  // `0.0.0.0:8003` for every IPv4 address. Port 0 picks a free port (tests).
  listen: '0.0.0.0:8003',
  upstream: {
    // The unmodified xiaozhi-server, `scheme://host[:port]` without path or query: the path is
    // `ota_path`. manager-api listens on 8002, the single-module Python server on 8003.
    url: 'http://127.0.0.1:8002',
    // The whole upstream exchange of one OTA check; at most 25000 because the device gives up
    // after 30 s (device-contract.md §2).
    timeout_ms: 8000,
    // A longer upstream reply is not parsed (the fallback answers instead).
    max_body_bytes: 262144,
  },
  // Accepted with and without the trailing slash, forwarded with it (upstream.md: Python 404s without it).
  ota_path: '/xiaozhi/ota/',
  // How devices reach the proxy: `auto` (from each request's Host / trusted X-Forwarded-*), or a
  // fixed `http(s)://host[:port]`.
  public_url: 'auto',
  // Peers whose X-Forwarded-For/-Host/-Proto are believed; `[]` trusts nobody.
  trusted_proxies: ['127.0.0.0/8', '::1/128'],
  // Prefix rules for every URL the upstream hands out; `[]` leaves them alone.
  rewrite: [],
  // What devices are told about the voice channel; `null` leaves the upstream's section alone.
  websocket: null,
  // `keep` or `strip` (or a `when:` list of `{when, mode}`); `keep` leaves `mqtt` as sent.
  mqtt: 'keep',
  // `timezone: upstream` keeps the upstream's clock and offset; else an IANA zone or `offset_minutes`.
  server_time: { timezone: 'upstream' },
  firmware: {
    // Folder with catalog.yaml and the .bin files, relative to the config file; `null` = no catalog.
    dir: null,
    // What happens to an upstream firmware offer when the catalog offers nothing: `keep` or `drop`.
    upstream_offers: 'keep',
    // Serve catalog images only to a valid per-device download token (needs `fleet.enabled: true`).
    require_token: false,
  },
  fallback: {
    // Answer devices from memory when the upstream fails.
    enabled: true,
    // Devices whose last good websocket/mqtt section is kept (least recently seen dropped first).
    remember_devices: 10000,
  },
  breaker: {
    // Consecutive upstream failures that open the breaker.
    failures: 5,
    // How long it stays open before one probe request goes upstream.
    cooldown_ms: 10000,
  },
  limits: {
    // Largest OTA/activate request body accepted from a device (413 beyond).
    device_body_bytes: 65536,
    // Time allowed for a request's headers; at most request_timeout_ms (Node refuses otherwise).
    headers_timeout_ms: 10000,
    // Time allowed for a whole request.
    request_timeout_ms: 30000,
  },
  passthrough: {
    // Requests to other upstream paths (e.g. /mcp/vision/explain) carried at once; beyond it a framed
    // 503. OTA checks, activate and download relays keep upstream capacity of their own.
    max_concurrent: 64,
  },
  voice_proxy: {
    // WebSocket upgrades on this path are carried to `upstream`.
    path: '/xiaozhi/v1/',
    // `ws(s)://host[:port]` of the voice server, no path; `null` = upgrades are not carried.
    upstream: null,
  },
  tls: {
    // PEM files, relative to the config file; both set: the listener speaks HTTPS/WSS.
    cert: null,
    key: null,
  },
  admin: {
    // Enables /admin/*; clients send `Authorization: Bearer <token>`. `null` = off.
    token: null,
    // `host:port` of a separate listener for /metrics and /admin; `null` = the main port.
    listen: null,
    // How many recent OTA exchanges /admin/exchanges keeps; 0 = none.
    exchanges: 200,
  },
  fleet: {
    // Track devices, update attempts, blocks and halts (docs/fleet.md). Off: devices see no difference.
    enabled: false,
    // `memory`, a SQLite file (relative to the config file), or a `postgres://…` URL shared by replicas.
    store: 'memory',
    // Secret for download tokens; `null` = created once and kept in the store.
    token_secret: null,
    // Observations are written behind, in batches, this often (ms).
    flush_ms: 1000,
    // Blocks, halts and open attempts are refreshed from the store this often (ms).
    sync_ms: 5000,
    // Observations kept while the store is unreachable (oldest "seen" updates dropped first beyond it).
    max_pending: 100000,
    // Devices in the inventory (the one seen longest ago is forgotten beyond it).
    max_devices: 1000000,
    // Counted failures of one entry after which a device is not offered it again.
    max_failed_attempts: 3,
    // A downloaded image followed by no check for this long counts as `silent` (fractions allowed).
    silent_after_download_minutes: 30,
    // An attempt with no event for this long ends as `silent`, not counted (fractions allowed).
    attempt_timeout_hours: 24,
    halt: {
      // A rollout halts when at least this many distinct devices failed ...
      min_failed_devices: 3,
      // ... and they are at least this share of the devices that ended (failed + installed).
      failure_rate: 0.2,
    },
    // Devices not seen, and ended attempts older than this, are deleted (fractions allowed).
    forget_after_days: 365,
  },
  // How long a shutdown waits for requests in flight.
  shutdown_grace_ms: 10000,
  log: {
    // fatal, error, warn, info, debug, trace or silent.
    level: 'info',
    // `auto` = pretty on a TTY when pino-pretty is installed, JSON otherwise; or true/false.
    pretty: 'auto',
  },
} as const;

/** The top-level keys a configuration file may use. */
export const TOP_LEVEL_KEYS: readonly string[] = Object.keys(DEFAULTS);
