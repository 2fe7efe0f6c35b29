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

/**
 * Functions whose frame (`name file:line`) matches `pattern`, by inclusive time: each sample counts once
 * for every distinct matching frame on its stack. Where a subsystem's cost is spread over many small
 * functions (the fleet: store statements, the replica view, tokens), this shows which caller it adds up in.
 */
export function inclusiveTimes(
  file: string,
  pattern: RegExp,
  top = 25,
): { readonly ms: number; readonly frame: string }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile & {
    readonly nodes: readonly (ProfileNode & { readonly children?: readonly number[] })[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = new Map<number, string | null>();
  const labelOf = (id: number): string | null => {
    const known = label.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame;
    const text =
      frame === undefined
        ? null
        : `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${shorten(frame.url)}:${frame.lineNumber + 1}`;
    const kept = text !== null && pattern.test(text) ? text : null;
    label.set(id, kept);
    return kept;
  };
  const us = new Map<string, number>();
  profile.samples.forEach((sample, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const counted = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const text = labelOf(id);
      if (text === null || counted.has(text)) continue;
      counted.add(text);
      us.set(text, (us.get(text) ?? 0) + delta);
    }
  });
  return [...us]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, total]) => ({ ms: Math.round(total / 100) / 10, frame }));
}

function shorten(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const at = path.lastIndexOf('node_modules/');
  if (at !== -1) return path.slice(at + 'node_modules/'.length);
  const build = path.indexOf('/bench-build/');
  return build !== -1 ? `src/${path.slice(build + '/bench-build/'.length)}` : path;
}
