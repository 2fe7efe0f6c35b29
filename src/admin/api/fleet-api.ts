/**
 * The fleet's JSON API (docs/fleet.md "API"), mounted at `/admin/api` behind the Bearer gate. Each route
 * reads its request, calls the one service layer (src/operations/) with the caller as the audit's actor
 * (`api`, its address), and writes the answer; refusals come back as `OperationError`s and are answered
 * here with their status: 400 a parameter or body that cannot be used (named in `field`), 404 unknown or
 * the fleet off, 409 a conflict with the current state, 422 a value or image the catalog refuses,
 * 413 an upload over the size bound.
 */
import type { IncomingMessage } from 'node:http';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { unmapAddress } from '../../match/cidr.js';
import { OperationError, badRequest } from '../../operations/errors.js';
import { MAX_IMAGE_BYTES } from '../../operations/firmware-upload.js';
import type { Actor, Operations } from '../../operations/operations.js';
import { readUpload } from './upload-request.js';

export function fleetApiRoutes(operations: Operations): Hono {
  const api = new Hono();

  api.get('/', (c) =>
    c.json({
      endpoints: {
        'GET /admin/api/devices':
          'the inventory: ?board ?version ?chip ?q ?seen_within ?state ?blocked ?sort=last_seen|id|version ?limit (≤ 500) ?cursor',
        'GET /admin/api/devices/{id}': 'one device and its attempts, newest first',
        'POST /admin/api/devices/{id}/unblock':
          '{"entry_id": …} clears one block; no body clears every block',
        'GET /admin/api/rollouts':
          'per catalog entry: eligible, offered … installed, failed by reason, halted',
        'POST /admin/api/rollouts/{entry_id}/halt': 'stop offering an entry ({"reason": …} optional)',
        'POST /admin/api/rollouts/{entry_id}/resume': 'offer it again; a new counting window starts',
        'GET /admin/api/catalog': "the catalog's entries with their entry_id and image check",
        'PATCH /admin/api/catalog/{entry_id}': 'change rollout, devices, exclude, min_version',
        'POST /admin/api/firmware':
          'add an image: raw body (?board=…) or multipart (image, board, …); ?dry_run=true checks only',
        'GET /admin/api/audit': 'every change, newest first (?limit ?before)',
      },
    }),
  );

  api.get('/devices', async (c) => c.json(await operations.listDevices(c.req.query())));

  api.get('/devices/:id', async (c) => c.json(await operations.showDevice(c.req.param('id'))));

  api.post('/devices/:id/unblock', async (c) => {
    const body = await optionalJson(c);
    const entry = body.entry_id;
    if (entry !== undefined && entry !== null && typeof entry !== 'string')
      throw badRequest('`entry_id` must be a string of 12 hex digits', 'entry_id');
    return c.json(await operations.unblock(c.req.param('id'), entry ?? null, actorOf(c)));
  });

  api.get('/rollouts', async (c) => c.json({ items: await operations.rollouts() }));

  api.post('/rollouts/:entry_id/halt', async (c) => {
    const body = await optionalJson(c);
    const reason = body.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.trim() === ''))
      throw badRequest('`reason` must be a sentence', 'reason');
    return c.json(
      await operations.halt(
        { entryId: c.req.param('entry_id') },
        actorOf(c),
        reason === undefined ? undefined : reason.trim(),
      ),
    );
  });

  api.post('/rollouts/:entry_id/resume', async (c) =>
    c.json(await operations.resume({ entryId: c.req.param('entry_id') }, actorOf(c))),
  );

  api.get('/catalog', async (c) => c.json(await operations.catalog()));

  api.patch('/catalog/:entry_id', async (c) => {
    const body = await requiredJson(c);
    return c.json(await operations.patchEntry(c.req.param('entry_id'), body, actorOf(c)));
  });

  api.post(
    '/firmware',
    bodyLimit({
      // The image plus a multipart envelope's fields.
      maxSize: MAX_IMAGE_BYTES + 64 * 1024,
      onError: (c) =>
        c.json(
          { error: `the upload is larger than ${MAX_IMAGE_BYTES} bytes`, code: 'TOO_LARGE', field: 'image' },
          413,
        ),
    }),
    async (c) => {
      const { request, dryRun } = await readUpload(c);
      const result = await operations.upload(request, { dryRun }, actorOf(c));
      return c.json(result, dryRun ? 200 : 201);
    },
  );

  api.get('/audit', async (c) => {
    const limitText = c.req.query('limit');
    const beforeText = c.req.query('before');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && !Number.isInteger(limit))
      throw badRequest(`\`limit\` must be a whole number from 1 to 500 (got "${limitText}")`, 'limit');
    const before = beforeText === undefined ? null : Number(beforeText);
    if (before !== null && !Number.isInteger(before))
      throw badRequest(`\`before\` must be an audit record's seq (got "${beforeText}")`, 'before');
    return c.json({
      items: await operations.auditLog({ ...(limit === undefined ? {} : { limit }), before }),
    });
  });

  api.notFound((c) => c.json({ error: 'not found' }, 404));
  api.onError((error, c) => {
    if (error instanceof OperationError) return operationError(c, error);
    throw error;
  });
  return api;
}

/** A refusal as JSON: `{ "error": <why>, "code": <stable>, "field": <the parameter at fault> }`. */
export function operationError(c: Context, error: OperationError): Response {
  return c.json(
    {
      error: error.message,
      code: error.operationCode,
      ...(error.field === null ? {} : { field: error.field }),
    },
    error.status as ContentfulStatusCode,
  );
}

/** The caller as the audit records it (@hono/node-server passes the Node request as `env.incoming`). */
export function actorOf(c: Context): Actor {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const address = incoming?.socket.remoteAddress;
  return { means: 'api', address: address === undefined ? null : unmapAddress(address) };
}

/** A JSON object body, or `{}` when there is none. */
async function optionalJson(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  return objectOf(text);
}

async function requiredJson(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') throw badRequest('send a JSON object', 'body');
  return objectOf(text);
}

function objectOf(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not JSON: ${(error as Error).message}`, 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('the body must be a JSON object', 'body');
  return value as Record<string, unknown>;
}
