/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and lists the functions with the most self time — where
 * the proxy's hot path spends its CPU.
 */
import { readFileSync } from 'node:fs';
import type { ProfileLine } from './results.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The `top` functions by self time, idle and GC included (they are part of the cost). */
export function summarizeProfile(file: string, top = 25): ProfileLine[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { us: number; fn: string; where: string }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const where = frame.url === '' ? '' : `${shorten(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${fn} ${where}`;
    const entry = selfUs.get(key) ?? { us: 0, fn, where };
    entry.us += delta;
    selfUs.set(key, entry);
  });
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      selfMs: Math.round(e.us / 100) / 10,
      share: total > 0 ? Math.round((e.us / total) * 1000) / 10 : 0,
      fn: e.fn,
      where: e.where,
    }));
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const at = path.lastIndexOf('node_modules/');
  if (at !== -1) return path.slice(at + 'node_modules/'.length);
  const build = path.indexOf('/bench-build/');
  return build !== -1 ? `src/${path.slice(build + '/bench-build/'.length)}` : path;
}
