/**
 * `POST /admin/api/firmware` as a request (docs/fleet.md "API"): the image as the raw body with its
 * settings in the query (`curl --data-binary @xiaozhi.bin '…/firmware?board=…'`), or a multipart form
 * (a file field `image` plus fields of the same names, as a browser sends it). Every value is checked
 * for its form here; whether the catalog takes it is the service's to judge.
 */
import type { Context } from 'hono';
import { badRequest } from '../../operations/errors.js';
import type { UploadRequest } from '../../operations/firmware-upload.js';

export const UPLOAD_FIELDS = ['board', 'rollout', 'devices', 'min_version', 'force', 'dry_run'] as const;

type Field = (typeof UPLOAD_FIELDS)[number];

export async function readUpload(c: Context): Promise<{ request: UploadRequest; dryRun: boolean }> {
  const values = new Map<Field, string[]>();
  const add = (name: string, value: string): void => {
    if (!(UPLOAD_FIELDS as readonly string[]).includes(name))
      throw badRequest(
        `unknown parameter \`${name}\`; an upload takes image, ${UPLOAD_FIELDS.join(', ')}`,
        name,
      );
    values.set(name as Field, [...(values.get(name as Field) ?? []), value]);
  };
  for (const [name, list] of Object.entries(c.req.queries())) for (const value of list) add(name, value);

  let image: Uint8Array;
  const type = c.req.header('Content-Type') ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch (error) {
      throw badRequest(`the multipart body cannot be read: ${(error as Error).message}`, 'body');
    }
    let file: File | undefined;
    for (const [name, raw] of Object.entries(form)) {
      for (const value of Array.isArray(raw) ? (raw as unknown[]) : [raw]) {
        if (name === 'image') {
          if (!(value instanceof File)) throw badRequest('`image` must be a file field', 'image');
          if (file !== undefined) throw badRequest('send one `image`', 'image');
          file = value;
        } else if (typeof value === 'string') {
          add(name, value);
        } else {
          throw badRequest(`\`${name}\` must be a text field`, name);
        }
      }
    }
    if (file === undefined) throw badRequest('the form has no `image` file field', 'image');
    image = new Uint8Array(await file.arrayBuffer());
  } else {
    image = new Uint8Array(await c.req.arrayBuffer());
  }

  const one = (name: Field): string | undefined => {
    const list = values.get(name);
    if (list === undefined) return undefined;
    if (list.length > 1) throw badRequest(`\`${name}\` is given more than once`, name);
    return list[0];
  };
  const flag = (name: Field): boolean | undefined => {
    const text = one(name);
    if (text === undefined) return undefined;
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off', ''].includes(text)) return false;
    throw badRequest(`\`${name}\` must be true or false (got "${text}")`, name);
  };
  const rolloutText = one('rollout');
  let rollout: number | undefined;
  if (rolloutText !== undefined && rolloutText.trim() !== '') {
    rollout = Number(rolloutText);
    if (!Number.isFinite(rollout))
      throw badRequest(`\`rollout\` must be a number from 0 to 100 (got "${rolloutText}")`, 'rollout');
  }
  const devices = (values.get('devices') ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
  const minVersion = one('min_version')?.trim();
  return {
    request: {
      image,
      board: one('board') ?? '',
      rollout,
      devices: devices.length === 0 ? undefined : devices,
      minVersion: minVersion === '' ? undefined : minVersion,
      force: flag('force'),
    },
    dryRun: flag('dry_run') ?? false,
  };
}
