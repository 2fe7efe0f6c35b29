/**
 * The upstream asked directly, as the proxy asks it: is it there, is it the OTA endpoint (port, trailing
 * slash), is its reply an OTA reply, and how is it framed (upstream.md: the Python server 404s without the
 * trailing slash, the Java one answers 200 `{"code":404,…}`; error shapes come with status 200).
 */
import type { Config } from '../config/types.js';
import { judgeDeviceFrame, type FrameRule } from '../http-wire/device-frame.js';
import { MAX_REPLY_BYTES } from '../rewrite/serialize.js';
import { finding, type Finding } from './findings.js';
import type { RawExchange } from './raw-http.js';
import { member, readReply, section, type ReplyReadout } from './reply-readout.js';

/** manager-api (full deployment) and the Python server's HTTP port; 8000 is the voice WebSocket (upstream.md). */
const PORT_HINT =
  'manager-api (the full deployment) answers on port 8002, the single-module Python server on 8003; 8000 is the voice WebSocket, not the OTA endpoint. From inside Docker, use the service name (e.g. http://xiaozhi-esp32-server:8003), not 127.0.0.1.';

export interface UpstreamCheck {
  readonly findings: Finding[];
  /** The reply, when one came. */
  readonly reply: ReplyReadout | null;
}

/** Judges the direct exchange with `upstream.url` + `ota_path`. */
export function checkUpstream(config: Config, result: RawExchange): UpstreamCheck {
  const { target } = config.upstream;
  const where = `${target.href}${config.otaPath}`;
  if (result.kind === 'failure') {
    return { findings: [unreachable(config, result, where)], reply: null };
  }
  const { response } = result;
  const reply = readReply(response);
  const findings: Finding[] = [
    finding(
      'upstream.reachable',
      'upstream',
      'pass',
      `the upstream answers at ${where} (${response.status}, ${Math.round(result.ms)} ms)`,
    ),
  ];
  findings.push(otaPath(config, reply, where));
  const shape = replyShape(reply, where, target.port);
  if (shape !== null) findings.push(shape);
  findings.push(framing(config, result, reply));
  const activation = section(reply.body, 'activation');
  if (activation !== null) {
    const code = member(activation, 'code');
    findings.push(
      finding(
        'upstream.activation',
        'upstream',
        'info',
        `the upstream asks this device to activate${typeof code === 'string' ? ` (code ${code})` : ''}`,
        {
          detail: [
            "Expected for doctor's made-up device id. A real device shows the code and polls activate until it is bound in the console;",
            'it still gets the websocket address meanwhile.',
          ],
        },
      ),
    );
  }
  return { findings, reply };
}

function unreachable(
  config: Config,
  result: Extract<RawExchange, { kind: 'failure' }>,
  where: string,
): Finding {
  const { host, port } = config.upstream.target;
  const detail = [`${result.code}: ${result.message}`];
  switch (result.failure) {
    case 'refused':
      return finding(
        'upstream.reachable',
        'upstream',
        'fail',
        `nothing listens at ${host}:${port} (connection refused)`,
        { detail, fix: `Check upstream.url. ${PORT_HINT}` },
      );
    case 'timeout':
      return finding(
        'upstream.reachable',
        'upstream',
        'fail',
        `the upstream did not answer within the timeout (${where})`,
        {
          detail,
          fix: 'Check that the server is up and that no firewall drops the connection; upstream.timeout_ms bounds the wait.',
        },
      );
    case 'unreachable':
      return finding(
        'upstream.reachable',
        'upstream',
        'fail',
        `the upstream host ${host} cannot be reached (${result.code})`,
        {
          detail,
          fix: `Check the host name in upstream.url (from inside Docker, the compose service name). ${PORT_HINT}`,
        },
      );
    default:
      return finding(
        'upstream.reachable',
        'upstream',
        'fail',
        `the exchange with ${where} failed (${result.failure})`,
        { detail, fix: `Is this the xiaozhi-server's HTTP port? ${PORT_HINT}` },
      );
  }
}

/** A 404 on the OTA path: the wrong port, or a path without its trailing slash. */
function otaPath(config: Config, reply: ReplyReadout, where: string): Finding {
  const javaNotFound = reply.shape === 'other-object' && member(reply.body, 'code') === 404;
  if (reply.status === 404 || javaNotFound) {
    return finding(
      'upstream.ota-path',
      'upstream',
      'fail',
      `the upstream has no OTA route at ${config.otaPath} (${javaNotFound ? '200 {"code":404}' : '404'})`,
      {
        detail: [
          `${where} answered: ${preview(reply.text)}`,
          'The xiaozhi-server only answers POST /xiaozhi/ota/ with the trailing slash: the Python server 404s without it, manager-api answers 200 {"code":404,…}.',
        ],
        fix: `Set ota_path to the server's OTA path (default /xiaozhi/ota/) and check the port. ${PORT_HINT}`,
      },
    );
  }
  return finding('upstream.ota-path', 'upstream', 'pass', `the OTA route exists at ${config.otaPath}`, {
    detail: [
      'Devices may use it with or without the trailing slash: the proxy accepts both and forwards with the slash.',
    ],
  });
}

/** Is the body an OTA reply the rules can work with? `null` when the OTA-path finding already said it. */
function replyShape(reply: ReplyReadout, where: string, port: number): Finding | null {
  if (reply.status === 404 || (reply.shape === 'other-object' && member(reply.body, 'code') === 404))
    return null;
  const sent = `${where} answered ${reply.status}: ${preview(reply.text)}`;
  if (reply.status >= 500 || reply.status < 200 || (reply.status >= 300 && reply.status < 400)) {
    return finding(
      'upstream.reply',
      'upstream',
      'fail',
      `the upstream answers ${reply.status}: devices get the fallback reply at best`,
      { detail: [sent], fix: "Look at the server's log for this request." },
    );
  }
  if (reply.status >= 400) {
    return finding(
      'upstream.reply',
      'upstream',
      'fail',
      `the upstream refuses the check with ${reply.status}; devices get that status and retry`,
      { detail: [sent] },
    );
  }
  switch (reply.shape) {
    case 'sections': {
      const keys = Object.keys(reply.body ?? {}).join(', ');
      return finding('upstream.reply', 'upstream', 'pass', `the upstream sends an OTA reply (${keys})`);
    }
    case 'other-object':
      return finding(
        'upstream.reply',
        'upstream',
        'fail',
        'the upstream answers with an error object instead of an OTA reply',
        {
          detail: [sent, ...errorShapeHints(reply)],
          fix: 'Devices receive this body as is and retry; fix the cause on the server.',
        },
      );
    case 'not-object':
    case 'invalid':
      return finding(
        'upstream.reply',
        'upstream',
        'fail',
        `the upstream's reply is not a JSON object: this does not look like the xiaozhi OTA endpoint`,
        {
          detail: [sent, ...(port === 8000 ? ['Port 8000 is the voice WebSocket server.'] : [])],
          fix: `Check upstream.url. ${PORT_HINT}`,
        },
      );
    default: {
      const never: never = reply.shape;
      throw new Error(`unhandled shape ${String(never)}`);
    }
  }
}

/** What the upstream's known error bodies mean (upstream.md "errors"). */
function errorShapeHints(reply: ReplyReadout): string[] {
  const body = reply.body;
  if (body === null) return [];
  if (member(body, 'success') === false)
    return ['The Python server sends this when the Device-Id or Client-Id header is missing.'];
  const error = member(body, 'error');
  if (error === 'Invalid device ID')
    return ['manager-api wants Device-Id to be a MAC address (pass --device-id aa:bb:cc:dd:ee:ff).'];
  if (typeof error === 'string') return [`manager-api says: ${error}`];
  if (member(body, 'code') === 500)
    return [
      'manager-api failed on this request (missing header, a body it could not read, or its database/Redis).',
    ];
  return [];
}

const SIZE_RULES: ReadonlySet<FrameRule> = new Set(['body-over-4KiB', 'response-over-8KiB']);

/** The upstream's framing: the proxy re-frames every reply, but a device pointed straight at the upstream would not cope. */
function framing(
  config: Config,
  { response, broken }: Extract<RawExchange, { kind: 'response' }>,
  reply: ReplyReadout,
): Finding {
  // The frame rules devices need, less the status (judged above) and the size (judged here on the decoded
  // body, which is what the proxy works with); the proxy's header promise is not the upstream's.
  const problems = judgeDeviceFrame(response)
    .filter((v) => v.source === 'device-contract' && !v.rule.startsWith('status-') && !SIZE_RULES.has(v.rule))
    .map((v) => v.text);
  if (broken !== null) problems.push(`the reply is broken: ${broken}`);
  const bytes = Buffer.byteLength(reply.text, 'utf8');
  if (bytes > config.upstream.maxBodyBytes) {
    return finding(
      'upstream.framing',
      'upstream',
      'fail',
      `the reply is ${bytes} bytes, over upstream.max_body_bytes (${config.upstream.maxBodyBytes}): the proxy will not use it`,
      {
        fix: 'Raise upstream.max_body_bytes, or find out why the server sends so much.',
      },
    );
  }
  if (bytes >= MAX_REPLY_BYTES)
    problems.push(
      `${bytes} bytes: devices deadlock near 8 KiB; the proxy drops keys devices do not read, and fails over if it still does not fit`,
    );
  if (problems.length === 0)
    return finding('upstream.framing', 'upstream', 'pass', `framed with Content-Length, ${bytes} bytes`);
  return finding(
    'upstream.framing',
    'upstream',
    'warn',
    "the upstream's framing would trouble devices talking to it directly; the proxy re-frames it",
    {
      detail: problems,
      fix: 'Point devices at the proxy, never straight at the upstream.',
    },
  );
}

/** The first part of a body for a report line. */
export function preview(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat === '' ? '(empty body)' : flat;
}
