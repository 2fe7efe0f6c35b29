/**
 * English, the reference catalog: its keys are the message keys and its `{name}` holes the values each
 * message takes. Texts are literals (no `${}`): their holes are read by the type of `t`. A literal brace
 * in a text (a config template such as `ws://{host}:8000/`) comes in as a value, never written here.
 * Keep `zh-CN.ts` in the same order, key for key, so the two read side by side.
 */
import type { Message } from '../catalog.js';
import { consoleEn } from './console-en.js';

export const en = {
  // ── xiaozhi-ota-proxy (src/cli.ts) ──────────────────────────────────────────────────────────────────
  'cli.usage': `xiaozhi-ota-proxy — an OTA endpoint that works, in front of an unmodified xiaozhi-esp32-server

Usage:
  xiaozhi-ota-proxy [--config <file>]   run the proxy (default config: config/proxy.yaml)
  xiaozhi-ota-proxy doctor [options]    check what devices would get (see: doctor --help)
  xiaozhi-ota-proxy validate [--config <file>]
                                        check the config and the firmware catalog offline; exit 0 clean,
                                        1 catalog problems, 2 unusable config (see: validate --help)
  xiaozhi-ota-proxy healthcheck [--config <file>]
                                        exit 0 when the running proxy's /healthz answers (Docker HEALTHCHECK)
  xiaozhi-ota-proxy firmware|rollout|fleet …
                                        the operator's commands: add firmware, halt and resume rollouts,
                                        list and unblock devices (see: fleet --help)
  xiaozhi-ota-proxy --help | --version
  --lang <en|zh>                        the language of help texts and doctor's report
                                        (default: LC_ALL, LC_MESSAGES or LANG; else English)

Signals: SIGTERM/SIGINT stop gracefully (shutdown_grace_ms); SIGHUP reloads the config and the catalog.
`,
  'cli.bad-language': '--lang "{value}" is not a supported language (en, zh)',

  // ── the operator's commands (src/runtime/operator-cli.ts) ───────────────────────────────────────────
  'ops.usage': `xiaozhi-ota-proxy firmware | rollout | fleet — the operator's commands

Work on the files and the fleet store the configuration names, directly: no running proxy is needed
(a running one picks the changes up within fleet.sync_ms, and its catalog reloads by itself). Every change
is audited as made by the CLI.

Usage:
  xiaozhi-ota-proxy firmware add <image> --board <glob> [--rollout N] [--devices <mac,…>]
                                 [--min-version <v>] [--force] [--dry-run]
      add an application image: its version and chip are read from it, it is checked as the catalog
      load checks it, copied into firmware.dir as <board>-<version>.bin and appended to catalog.yaml
      (comments kept); --dry-run only shows what would be added
  xiaozhi-ota-proxy firmware ls
      the catalog's entries: entry_id, board, version, file, chip, rollout, check, halted
  xiaozhi-ota-proxy rollout halt <entry_id | board version> [--reason <text>]
  xiaozhi-ota-proxy rollout resume <entry_id | board version>
      stop offering an entry, or offer it again (a new counting window starts)
  xiaozhi-ota-proxy fleet ls [--board <b>] [--version <v>] [--chip <c>] [--q <id or address prefix>]
                             [--seen-within <seconds>] [--state <state>] [--blocked true|false]
                             [--sort last_seen|id|version] [--limit N] [--cursor <next>]
      the devices the proxy has seen
  xiaozhi-ota-proxy fleet show <device>
      one device and its update attempts, newest first
  xiaozhi-ota-proxy fleet unblock <device> [<entry_id>]
      offer a blocked entry to the device again (every entry when none is named)
  xiaozhi-ota-proxy fleet audit
      every change, newest first: when, what, on what, by which means (api, console, cli, fleet)

Options of every command:
  -c, --config <file>   the proxy's configuration (default config/proxy.yaml)
      --json            print the admin API's JSON shapes instead of tables
      --lang <en|zh>    the language of this help (default: LC_ALL, LC_MESSAGES or LANG; else English)
  -h, --help

Exit code: 0 done, 1 refused (not found, a conflict, an invalid image or value: the message says why),
2 bad arguments or an unusable configuration. The fleet commands need fleet.enabled: true and a store
that is not memory.
`,
  'ops.error': 'error: {message}',

  // ── doctor: the command line (src/doctor/doctor-cli.ts) ─────────────────────────────────────────────
  'doctor.usage': `xiaozhi-ota-proxy doctor — what does the OTA endpoint send a device, and would the device cope?

Sends a firmware-like OTA check to the upstream directly and through the proxy, connects once to each
host the reply sends devices to (never downloads anything), and reports a PASS/WARN/FAIL line per check.

Usage: xiaozhi-ota-proxy doctor [options]

  -c, --config <file>      the proxy's configuration (default config/proxy.yaml)
      --proxy <url>        a running proxy to ask (e.g. http://127.0.0.1:8003); default: an in-process one
      --device-host <host> the host[:port] devices use to reach the proxy (default: public_url's host,
                           else this machine's LAN address); templates such as {template} are
                           judged for it
      --device-id <mac>    the Device-Id to send (default {deviceId})
      --board <name>       the build name (default {board})
      --version <x.y.z>    the running firmware version (default {version})
      --chip <target>      chip_model_name (default {chip})
      --device-ip <ip>     the device's address, sent as X-Forwarded-For (for when.source)
      --timeout-ms <n>     per OTA exchange (default upstream.timeout_ms + 5000, at most 30000)
      --json               machine-readable report
      --lang <en|zh>       the report's language (default: LC_ALL, LC_MESSAGES or LANG; else English)
      --color / --no-color colours (default: when stdout is a terminal and NO_COLOR is unset)
  -h, --help

Exit code: 0 when nothing would stop a device, 1 when something would, 2 for bad arguments or config.
`,
  'doctor.cli.bad-device-id': '--device-id "{value}" is not a MAC address (aa:bb:cc:dd:ee:ff)',
  'doctor.cli.bad-board': '--board "{value}" is not a build name',
  'doctor.cli.bad-version': '--version "{value}" is not a dotted version such as 1.6.0',
  'doctor.cli.bad-chip': '--chip "{value}" is not an ESP-IDF target (esp32, esp32s3, esp32c3 …)',
  'doctor.cli.bad-device-ip': '--device-ip "{value}" is not an IP address',
  'doctor.cli.bad-proxy': '--proxy "{value}" must be http(s)://host:port',
  'doctor.cli.bad-timeout': '--timeout-ms must be a whole number of milliseconds (100–120000)',
  'doctor.cli.bad-device-host': '--device-host "{value}" is not host or host:port',
  'doctor.cli.config-unusable': 'the configuration cannot be used ({code}):',

  // ── doctor: the text report (src/doctor/report-text.ts) ─────────────────────────────────────────────
  'doctor.report.title': 'xiaozhi-ota-proxy doctor',
  'doctor.report.device': '  device   {board}/{version} ({chip}), Device-Id {deviceId}',
  'doctor.report.upstream': '  upstream {url}',
  'doctor.report.proxy': '  proxy    {url}, as devices reach it: Host {host}',
  'doctor.report.proxy-in-process': '  proxy    {url} (in-process), as devices reach it: Host {host}',
  'doctor.report.area.config': 'Configuration',
  'doctor.report.area.upstream': 'Upstream (asked directly)',
  'doctor.report.area.proxy': 'Through the proxy',
  'doctor.report.area.websocket': 'Voice channel (websocket)',
  'doctor.report.area.mqtt': 'MQTT',
  'doctor.report.area.server_time': 'Clock (server_time)',
  'doctor.report.area.firmware': 'Firmware offer',
  'doctor.report.area.catalog': 'Firmware catalog',
  'doctor.report.status.pass': 'PASS',
  'doctor.report.status.warn': 'WARN',
  'doctor.report.status.fail': 'FAIL',
  'doctor.report.status.info': 'INFO',
  'doctor.report.status.skip': 'SKIP',
  'doctor.report.warnings': { one: '{count} warning', other: '{count} warnings' },
  'doctor.report.summary': '{pass} passed, {warnings}, {fail} failed',
  'doctor.report.ok': 'OK: {summary}. Nothing found that would stop a device.',
  'doctor.report.not-ok': 'NOT OK: {summary}. Devices would be stopped by the failures above.',

  // ── doctor: shared phrases ──────────────────────────────────────────────────────────────────────────
  /** Joins the parts of one detail line. */
  'doctor.list-separator': ', ',
  'doctor.not-probed': 'not probed',
  'doctor.where.running': 'the proxy at {url}',
  'doctor.where.in-process': 'an in-process proxy at {url}',
  'doctor.empty-body': '(empty body)',
  'doctor.broken-reply': 'the reply is broken: {reason}',
  'doctor.note': 'note: {note}',

  // ── doctor: TCP connects (src/doctor/tcp-probe.ts) ──────────────────────────────────────────────────
  'doctor.probe.open': 'something listens (connected in {ms} ms)',
  'doctor.probe.refused': 'connection refused: nothing listens on that port',
  'doctor.probe.timeout':
    'no answer to the connect (firewall, wrong address, or a network this machine cannot reach)',
  'doctor.probe.unreachable': 'unreachable from here ({code})',

  // ── doctor: hosts handed to devices (src/doctor/host-kind.ts) ───────────────────────────────────────
  'doctor.host.same': 'the host devices use to reach the proxy',
  'doctor.host.loopback': '{host} is loopback: a device would connect to itself',
  'doctor.host.unspecified': '{host} is a listen-all address, not one a device can connect to',
  'doctor.host.placeholder':
    '"{host}" is a placeholder from the server\'s sample configuration, not a real host',
  'doctor.host.link-local': '{host} is link-local: reachable on one link only',
  'doctor.host.docker-same-network': 'a private address on the network devices use',
  'doctor.host.docker':
    '{host} is in 172.16.0.0/12, where Docker puts container networks: devices outside the container cannot reach it',
  'doctor.host.private': 'a private LAN address: devices must be on that network',
  'doctor.host.private-elsewhere':
    '{host} is a private address, but devices reach the proxy at {deviceHost}: only devices on that LAN can use it',
  'doctor.host.shared': '{host} is a shared (CGNAT/VPN) address: only devices on that overlay can use it',
  'doctor.host.public-ip': 'a public address',
  'doctor.host.name': 'a DNS name (resolved by the device)',
  /** How a host kind reads in a sentence ("the upstream's 172.21.0.5 is …"). */
  'doctor.host-kind.loopback': 'loopback',
  'doctor.host-kind.unspecified': 'a listen-all address',
  'doctor.host-kind.docker': 'Docker-internal',
  'doctor.host-kind.private': 'a private address',
  'doctor.host-kind.link-local': 'link-local',
  'doctor.host-kind.shared': 'a CGNAT/VPN address',
  'doctor.host-kind.placeholder': 'a placeholder',
  'doctor.host-kind.public-ip': 'a public address',
  'doctor.host-kind.name': 'a DNS name',

  // ── doctor: reply framing (docs/device-contract.md §2; the rules of src/http-wire/device-frame.ts) ──
  'doctor.frame.status': 'status {status}: devices retry, then keep stored settings',
  'doctor.frame.no-content-length': 'no Content-Length (firmware ≤ 1.7.6 and the 4G modem client need it)',
  'doctor.frame.content-length-casing':
    '"{name}" is not spelled Content-Length (the 4G modem client matches it case-sensitively)',
  'doctor.frame.content-length-repeated': '{n} Content-Length headers',
  'doctor.frame.content-length-mismatch': 'Content-Length {value} but the body is {length} bytes',
  'doctor.frame.chunked': 'chunked body (the device chunk parser truncates when a CRLF straddles two reads)',
  'doctor.frame.transfer-encoding': 'Transfer-Encoding present (devices mis-read chunked bodies)',
  'doctor.frame.content-encoding': 'Content-Encoding {codings} (devices cannot decompress)',
  'doctor.frame.body-over-4KiB': 'body {length} bytes (must stay under {max})',
  'doctor.frame.response-over-8KiB': 'response {bytes} bytes (v1.9/v2.x clients deadlock at {max})',
  'doctor.frame.extra-headers': 'extra headers in the reply: {names}',

  // ── doctor: configuration (src/doctor/check-config.ts) ──────────────────────────────────────────────
  'doctor.config.loaded': 'configuration {file} is valid',
  'doctor.config.loaded.hash': 'sha256 {hash}…',
  'doctor.config.loaded.upstream': 'upstream {url}',
  'doctor.config.listen': 'the proxy listens on {host}:{port}',
  'doctor.config.listen.loopback': 'the proxy listens on {host}:{port}: only this machine can reach it',
  'doctor.config.listen.loopback.detail':
    'Fine behind a local nginx or tunnel; devices on the LAN need 0.0.0.0 (or the LAN address).',
  'doctor.config.device-host': 'URLs are judged for devices reaching the proxy at {origin} (from {from})',
  'doctor.config.device-host.from-lan': "this machine's LAN address ({iface})",
  'doctor.config.device-host.from-lan-unnamed': "this machine's LAN address (interface)",
  'doctor.config.device-host.from-none': 'no LAN address found',
  'doctor.config.device-host.loopback': 'Devices never reach the proxy at a loopback address.',
  'doctor.config.device-host.loopback.fix':
    'Pass --device-host <the address devices use>, e.g. --device-host 192.168.1.10.',
  'doctor.config.device-host.docker': '{host} looks Docker-internal: doctor seems to run inside a container.',
  'doctor.config.device-host.docker.fix': "Pass --device-host <the Docker host's LAN address>.",
  'doctor.config.template': '{key}: {url}',
  'doctor.config.template.judged': '{key}: {url} — {why}',
  'doctor.config.template.judged.fix':
    'Use {hostTemplate} for the host devices use to reach the proxy, or a name/address they can reach.',
  'doctor.config.template.own-port':
    "{key}: {url} points devices at the proxy's own port, which carries no WebSocket (voice_proxy.upstream is not set)",
  'doctor.config.template.own-port.fix': "Set voice_proxy.upstream, or use the voice server's port (8000).",

  // ── doctor: the upstream asked directly (src/doctor/check-upstream.ts) ──────────────────────────────
  'doctor.upstream.port-hint':
    'manager-api (the full deployment) answers on port 8002, the single-module Python server on 8003; 8000 is the voice WebSocket, not the OTA endpoint. From inside Docker, use the service name (e.g. http://xiaozhi-esp32-server:8003), not 127.0.0.1.',
  'doctor.upstream.reachable': 'the upstream answers at {where} ({status}, {ms} ms)',
  'doctor.upstream.activation': 'the upstream asks this device to activate',
  'doctor.upstream.activation.code': 'the upstream asks this device to activate (code {code})',
  'doctor.upstream.activation.detail':
    "Expected for doctor's made-up device id. A real device shows the code and polls activate until it is bound in the console;",
  'doctor.upstream.activation.detail2': 'it still gets the websocket address meanwhile.',
  'doctor.upstream.refused': 'nothing listens at {host}:{port} (connection refused)',
  'doctor.upstream.check-url.fix': 'Check upstream.url. {hint}',
  'doctor.upstream.timeout': 'the upstream did not answer within the timeout ({where})',
  'doctor.upstream.timeout.fix':
    'Check that the server is up and that no firewall drops the connection; upstream.timeout_ms bounds the wait.',
  'doctor.upstream.unreachable': 'the upstream host {host} cannot be reached ({code})',
  'doctor.upstream.unreachable.fix':
    'Check the host name in upstream.url (from inside Docker, the compose service name). {hint}',
  'doctor.upstream.failed': 'the exchange with {where} failed ({failure})',
  'doctor.upstream.failed.fix': "Is this the xiaozhi-server's HTTP port? {hint}",
  'doctor.upstream.no-ota-route': 'the upstream has no OTA route at {path} ({seen})',
  'doctor.upstream.no-ota-route.answered': '{where} answered: {preview}',
  'doctor.upstream.no-ota-route.detail':
    'The xiaozhi-server only answers POST /xiaozhi/ota/ with the trailing slash: the Python server 404s without it, manager-api answers {javaNotFound}.',
  'doctor.upstream.no-ota-route.fix':
    "Set ota_path to the server's OTA path (default /xiaozhi/ota/) and check the port. {hint}",
  'doctor.upstream.ota-route': 'the OTA route exists at {path}',
  'doctor.upstream.ota-route.detail':
    'Devices may use it with or without the trailing slash: the proxy accepts both and forwards with the slash.',
  'doctor.upstream.answered': '{where} answered {status}: {preview}',
  'doctor.upstream.reply.error-status':
    'the upstream answers {status}: devices get the fallback reply at best',
  'doctor.upstream.reply.error-status.fix': "Look at the server's log for this request.",
  'doctor.upstream.reply.refused':
    'the upstream refuses the check with {status}; devices get that status and retry',
  'doctor.upstream.reply.ota': 'the upstream sends an OTA reply ({keys})',
  'doctor.upstream.reply.error-object': 'the upstream answers with an error object instead of an OTA reply',
  'doctor.upstream.reply.error-object.fix':
    'Devices receive this body as is and retry; fix the cause on the server.',
  'doctor.upstream.reply.not-object':
    "the upstream's reply is not a JSON object: this does not look like the xiaozhi OTA endpoint",
  'doctor.upstream.reply.voice-port': 'Port 8000 is the voice WebSocket server.',
  'doctor.upstream.hint.python-headers':
    'The Python server sends this when the Device-Id or Client-Id header is missing.',
  'doctor.upstream.hint.invalid-device-id':
    'manager-api wants Device-Id to be a MAC address (pass --device-id aa:bb:cc:dd:ee:ff).',
  'doctor.upstream.hint.manager-api-says': 'manager-api says: {error}',
  'doctor.upstream.hint.manager-api-500':
    'manager-api failed on this request (missing header, a body it could not read, or its database/Redis).',
  'doctor.upstream.framing.too-large':
    'the reply is {bytes} bytes, over upstream.max_body_bytes ({max}): the proxy will not use it',
  'doctor.upstream.framing.too-large.fix':
    'Raise upstream.max_body_bytes, or find out why the server sends so much.',
  'doctor.upstream.framing.near-limit':
    '{bytes} bytes: devices deadlock near 8 KiB; the proxy drops keys devices do not read, and fails over if it still does not fit',
  'doctor.upstream.framing.ok': 'framed with Content-Length, {bytes} bytes',
  'doctor.upstream.framing.trouble':
    "the upstream's framing would trouble devices talking to it directly; the proxy re-frames it",
  'doctor.upstream.framing.trouble.fix': 'Point devices at the proxy, never straight at the upstream.',

  // ── doctor: through the proxy (src/doctor/check-proxy-reply.ts) ─────────────────────────────────────
  'doctor.proxy.unreachable': '{where} does not answer ({failure})',
  'doctor.proxy.unreachable.fix':
    'Is it running, and listening where `listen` says? (`--proxy` names the URL doctor uses.)',
  'doctor.proxy.reachable': '{where} answers ({status}, {ms} ms)',
  'doctor.proxy.rules.applied': 'rules applied: {rules}',
  'doctor.proxy.rules.repair': 'guard repair: {repair}',
  'doctor.proxy.rules.repair.fix':
    'The guard made the reply safe; fixing the upstream (or the config) removes the need.',
  'doctor.proxy.rules.repaired': {
    one: 'the device guard repaired the reply ({count} repair)',
    other: 'the device guard repaired the reply ({count} repairs)',
  },
  'doctor.proxy.rules.changed': "the proxy's rules changed the reply: {rules}",
  'doctor.proxy.rules.unchanged': 'the proxy left the reply as the upstream sent it',
  'doctor.proxy.reply.fallback-note': 'answered from the fallback: {notes}',
  'doctor.proxy.reply.status': 'devices get status {status}: they retry, then fall back to stored settings',
  'doctor.proxy.reply.status.fix':
    'Make the upstream answer (see above), or set websocket.url so the fallback can name a transport.',
  'doctor.proxy.reply.no-sections':
    'devices get a 200 without any OTA section: no clock, no transport, no firmware',
  'doctor.proxy.reply.no-sections.fix':
    'The upstream answered with an error body (see the upstream findings).',
  'doctor.proxy.reply.fallback':
    'devices get the fallback reply: the upstream failed, the proxy answered for it',
  'doctor.proxy.reply.ok': 'devices get an OTA reply ({keys})',
  'doctor.proxy.framing.facts': '{body}-byte body, {wire} bytes in all, headers: {headers}',
  'doctor.proxy.framing.broken': 'the reply is framed in a way devices cannot read',
  'doctor.proxy.framing.extra.fix':
    'Something between doctor and the proxy adds headers; keep device replies to Content-Type, Content-Length, Date, Connection.',
  'doctor.proxy.framing.ok': 'framed for devices: {facts}',

  // ── doctor: the voice channel and MQTT (src/doctor/check-transport.ts) ──────────────────────────────
  'doctor.websocket.no-reply': 'no OTA reply from the proxy to judge the voice channel by',
  'doctor.websocket.mqtt-instead': 'no websocket section: devices use MQTT (see below)',
  'doctor.websocket.none':
    'devices get neither a websocket nor an mqtt section: they keep whatever transport they stored before',
  'doctor.websocket.none.fix': 'Set websocket.url (e.g. {example}) so the reply names the voice server.',
  'doctor.websocket.fix':
    'Set websocket.url: {example} ({hostTemplate} = the host devices use to reach the proxy), or add a rewrite rule.',
  'doctor.websocket.fix-from':
    'Set websocket.url: {example} ({hostTemplate} = the host devices use to reach the proxy), or add a rewrite rule from {from}.',
  'doctor.websocket.no-endpoint': 'devices get {url}, which has no usable host and port',
  'doctor.websocket.no-endpoint.detail':
    "A placeholder from the server's sample configuration (server.websocket) looks like this.",
  'doctor.websocket.host': "devices reach the proxy as {deviceHost}; the URL's host: {why}",
  'doctor.websocket.url': 'devices get {url}',
  'doctor.websocket.url.fixed': "devices get {url} (fixed by the proxy: the upstream's {host} is {kind})",
  'doctor.websocket.upstream-sends': "the upstream sends {url}; the proxy's rules replace it",
  'doctor.websocket.upstream-sends.judged': "the upstream sends {url} ({why}); the proxy's rules replace it",
  'doctor.websocket.own-port':
    "{url} points at the proxy's own port, but voice_proxy.upstream is not set: the proxy carries no WebSocket",
  'doctor.websocket.own-port.fix':
    "Set voice_proxy.upstream (e.g. ws://127.0.0.1:8000) or point websocket.url at the voice server's port (8000).",
  'doctor.websocket.no-target': 'no host and port to connect to',
  /** Appended to the three reachability titles below when the proxy carries the WebSocket itself. */
  'doctor.websocket.via': ' (the proxy carries {url} to voice_proxy.upstream {where})',
  'doctor.websocket.not-probed': '{where} was not probed',
  'doctor.websocket.unusable-host':
    '{where} from this machine: {probe}; devices cannot use that address anyway (above)',
  'doctor.websocket.open': 'the voice server port {where} accepts connections{via}',
  'doctor.websocket.refused': 'nothing listens at {where}{via}: devices cannot open the voice channel',
  'doctor.websocket.refused.fix':
    "Start the voice server, or fix the port in websocket.url (the xiaozhi-server's WebSocket listens on 8000 by default).",
  'doctor.websocket.unreachable': '{where} cannot be reached from this machine{via}',
  'doctor.websocket.unreachable.detail':
    'Devices may still reach it from their network; check from there if they cannot connect.',
  'doctor.mqtt.stripped': "the upstream's mqtt section is removed (mqtt: strip): devices use the WebSocket",
  'doctor.mqtt.absent': 'no mqtt section: devices use the WebSocket',
  'doctor.mqtt.wins': 'devices get an mqtt section ({endpoint}), so they use MQTT, not the WebSocket',
  'doctor.mqtt.wins.detail':
    'A device uses MQTT whenever the reply holds an `mqtt` object (docs/device-contract.md §3).',
  'doctor.mqtt.wins.held-back':
    'mqtt: strip held back: the reply has no websocket section to use instead (the Python server sends mqtt *instead of* websocket when its MQTT gateway is on).',
  'doctor.mqtt.wins.held-back.fix':
    'Set websocket.url (e.g. {example}): with mqtt: strip the proxy then creates the websocket section.',
  'doctor.mqtt.wins.fix': 'Set mqtt: strip (it only strips when a websocket section is present).',
  'doctor.mqtt.kept': 'devices use MQTT at {endpoint} (mqtt: keep)',
  'doctor.mqtt.kept.detail':
    'To have them use the WebSocket instead: mqtt: strip, and websocket.url when the upstream sends no websocket section.',
  'doctor.mqtt.bad-endpoint':
    'mqtt.endpoint "{endpoint}" is not host or host:port: the guard drops the section rather than let it abort the device',
  'doctor.mqtt.endpoint': 'MQTT endpoint {where}: {why}; {probe}',

  // ── doctor: the clock (src/doctor/check-server-time.ts) ─────────────────────────────────────────────
  'doctor.server_time.no-reply': 'no OTA reply from the proxy to judge the clock by',
  'doctor.server_time.absent': 'devices get no server_time: they keep whatever clock they have',
  'doctor.server_time.absent.fix':
    'Set server_time.timezone (e.g. your IANA zone) or offset_minutes: the proxy then creates the section.',
  'doctor.server_time.seconds-repaired':
    'the upstream sent {timestamp} (seconds); the guard sends milliseconds',
  'doctor.server_time.no-timestamp': 'devices get no usable timestamp: they keep whatever clock they have',
  'doctor.server_time.seconds': 'timestamp {timestamp} is in seconds: devices set their clock to 1970',
  'doctor.server_time.seconds.fix': 'The timestamp must be milliseconds.',
  'doctor.server_time.behind': "devices get a clock {amount} behind this machine's",
  'doctor.server_time.ahead': "devices get a clock {amount} ahead of this machine's",
  'doctor.server_time.skew.fix':
    "Check the server's clock (NTP), or let the proxy send its own: server_time.timezone: <zone>.",
  'doctor.server_time.days': '{n} days',
  'doctor.server_time.hours': '{n} hours',
  'doctor.server_time.minutes': '{n} minutes',
  'doctor.server_time.in-step': 'timestamp in milliseconds, within {seconds} s of this machine',
  'doctor.server_time.float-offset':
    'the upstream sent it as the JSON number {text}; devices read its whole part, and the proxy writes whole minutes',
  'doctor.server_time.no-offset': 'devices get no timezone_offset: they show UTC',
  'doctor.server_time.no-offset.fix': 'Set server_time.timezone: <your IANA zone> (or offset_minutes).',
  'doctor.server_time.fraction': 'timezone_offset {offset} is not whole minutes',
  'doctor.server_time.not-minutes': 'timezone_offset {offset} is not minutes ({units})',
  'doctor.server_time.not-minutes.seconds': 'seconds? {offset} s = {minutes} min',
  'doctor.server_time.not-minutes.out-of-range': 'out of range',
  'doctor.server_time.not-minutes.fix':
    'Minutes east of UTC are expected; set server_time.timezone: <your IANA zone> to send the right value.',
  'doctor.server_time.no-zone': "timezone_offset {offset} is no zone's offset in minutes",
  'doctor.server_time.no-zone.hours':
    "timezone_offset {offset} is no zone's offset in minutes (hours? {offset} h = {minutes} min)",
  'doctor.server_time.no-zone.fix': 'Set server_time.timezone: <your IANA zone> to send the right value.',
  'doctor.server_time.zone': 'devices get {zone} (server_time.timezone: {name})',
  'doctor.server_time.fixed': 'devices get {zone} (server_time.offset_minutes: {minutes})',
  'doctor.server_time.upstream-differs':
    'devices get {zone} from the upstream, but this machine runs at {local} ({localZone})',
  'doctor.server_time.upstream-differs.detail':
    'The Java server takes its zone from the JVM (often stuck on Asia/Shanghai, +08:00); the Python one from server.timezone_offset.',
  'doctor.server_time.upstream-differs.fix':
    'If devices should show local time: server_time.timezone: {zone}',
  'doctor.server_time.local': "devices get {zone}, this machine's zone",

  // ── doctor: the firmware offer (src/doctor/check-firmware.ts) ───────────────────────────────────────
  'doctor.firmware.no-reply': 'no OTA reply from the proxy to judge the firmware offer by',
  'doctor.firmware.upstream-offered': 'the upstream offered {url}',
  'doctor.firmware.absent': 'no firmware section: nothing is offered',
  'doctor.firmware.placeholder': "nothing to download: the upstream's placeholder URL (version {version})",
  'doctor.firmware.placeholder.detail':
    '…{mark} is deliberate: manager-api\'s "nothing to download" for unbound devices and for bound ones without a newer build. The proxy never rewrites it, and the guard keeps its version at or below the running one so devices never try it.',
  'doctor.firmware.empty-url': 'nothing to download (url "", version {version})',
  'doctor.firmware.not-newer': 'offers {version}, not newer than {running}: devices stay on their version',
  'doctor.firmware.download': 'devices running {running} will download {version} from {url}',
  'doctor.firmware.download-forced':
    'devices running {running} will download {version} (force: 1) from {url}',
  'doctor.firmware.decision.offer': 'catalog: offers {board} {version} ({file})',
  'doctor.firmware.decision.offer-pinned': 'catalog: offers {board} {version} ({file}), pinned (force)',
  'doctor.firmware.decision.none': 'catalog: nothing offered — {reason}: {detail}',
  'doctor.firmware.connect-only':
    "Doctor only opens a TCP connection to it: the Java upstream's download links allow three downloads.",
  'doctor.firmware.not-http': '{url} is not an http(s) URL a device can download',
  'doctor.firmware.not-http.fix': 'Fix the URL in the catalog or on the server.',
  'doctor.firmware.tls':
    'Devices check https certificates against the public CA bundle: a self-signed one fails.',
  'doctor.firmware.not-in-catalog': '{url} points at the proxy, which serves no such catalog file',
  'doctor.firmware.served': 'served by the proxy from firmware.dir ({file})',
  'doctor.firmware.served.detail':
    "Devices fetch it from the proxy's own port, where the running proxy must listen.",
  'doctor.firmware.not-probed': '{url}: {why}; not probed',
  'doctor.firmware.download.fix':
    "Devices must be able to download the image: fix the host (a rewrite rule for the upstream's URLs, or the catalog entry's url).",
  'doctor.firmware.refused': 'nothing listens at {where}: devices would fail the download of {url}',
  'doctor.firmware.refused.detail':
    'Firmware 1.6.6–1.7.6 reboots after a failed download, and asks again at the next boot.',
  'doctor.firmware.host-fails': 'devices cannot download {url}',
  'doctor.firmware.unreachable': '{where} cannot be reached from this machine',
  'doctor.firmware.some-devices': '{where} accepts connections, but not every device can reach it',
  'doctor.firmware.open': 'the download host {where} accepts connections',

  // ── doctor: the firmware catalog (src/doctor/check-catalog.ts) ──────────────────────────────────────
  'doctor.catalog.no-dir': 'no firmware.dir: the proxy offers no firmware of its own',
  'doctor.catalog.unusable': 'the catalog in {dir} cannot be used: the proxy does not start with it',
  'doctor.catalog.unusable.fix': 'Fix catalog.yaml (an empty file is an empty catalog).',
  'doctor.catalog.loaded': {
    one: '{count} catalog entry in use from {dir}',
    other: '{count} catalog entries in use from {dir}',
  },
  'doctor.catalog.loaded-skipped': {
    one: '{count} catalog entry in use from {dir}, {skipped} skipped',
    other: '{count} catalog entries in use from {dir}, {skipped} skipped',
  },
  'doctor.catalog.issue.fix':
    'The entry is skipped (the others keep working); devices are not offered it until it is fixed.',
  'doctor.catalog.entry': '{board} {version} ({file})',
  'doctor.catalog.entry.chip-id': 'chip id {id}',
  'doctor.catalog.entry.image':
    'app image for {chip}, embedded version {version} (matches), project {project}, IDF {idf}',
  'doctor.catalog.entry.size': '{size} bytes, sha256 {sha256}…',
  'doctor.catalog.entry.rollout': 'rollout {percent} %',
  'doctor.catalog.entry.pinned': 'pinned (force)',
  'doctor.catalog.entry.min-version': 'min_version {version}',
  'doctor.catalog.entry.devices': '{n} listed device(s)',
  'doctor.catalog.entry.excluded': '{n} excluded',
  'doctor.catalog.entry.served': '{entry}: served by the proxy at /firmware/{file}',
  'doctor.catalog.entry.not-http': '{entry}: its url {url} is not an http(s) URL a device can download',
  'doctor.catalog.entry.own': '{entry}: offered at {url} (this proxy)',
  'doctor.catalog.entry.url': 'url {url}: {why}; {probe}',
  'doctor.catalog.entry.external': '{entry}: offered at {url}',

  // ── the web console (src/admin/console/): messages/console-en.ts ────────────────────────────────────
  ...consoleEn,
} as const satisfies Readonly<Record<string, Message>>;
