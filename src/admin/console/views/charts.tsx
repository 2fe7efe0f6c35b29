/**
 * Charts as server-rendered SVG and native elements: no script, no inline style (the CSP forbids it), and
 * each figure also written as text beside it so colour is never the only carrier.
 */
import type { View } from './parts.js';

/** One stacked bar: segments as fractions of `total`, drawn left to right. */
export function StackedBar({
  total,
  segments,
  label,
}: {
  total: number;
  segments: readonly { readonly className: string; readonly value: number }[];
  label: string;
}) {
  let x = 0;
  const parts = segments.map((s) => {
    const width = total > 0 ? Math.max(0, Math.min(100 - x, (s.value / total) * 100)) : 0;
    const rect = <rect class={s.className} x={`${x}%`} y="0" width={`${width}%`} height="100%" />;
    x += width;
    return rect;
  });
  return (
    <svg class="stack" role="img" aria-label={label} preserveAspectRatio="none" width="100%" height="14">
      <rect class="track" x="0" y="0" width="100%" height="100%" />
      {parts}
    </svg>
  );
}

/** Checks per minute: an area under a line, the peak and the time axis labelled. */
export function CheckChart({
  view,
  series,
  label,
}: {
  view: View;
  series: readonly { readonly at: number; readonly checks: number }[];
  label: string;
}) {
  const width = 720;
  const height = 110;
  const top = 8;
  const bottom = 18;
  const peak = Math.max(1, ...series.map((p) => p.checks));
  const step = series.length > 1 ? width / (series.length - 1) : width;
  const y = (v: number): number => top + (height - top - bottom) * (1 - v / peak);
  const points = series.map((p, i) => `${(i * step).toFixed(1)},${y(p.checks).toFixed(1)}`).join(' ');
  const base = height - bottom;
  const area = `0,${base} ${points} ${width},${base}`;
  const first = series[0];
  const last = series[series.length - 1];
  const hhmm = (at: number): string => new Date(at).toISOString().slice(11, 16);
  return (
    <svg
      class="spark"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
    >
      <line class="axis" x1="0" y1={base} x2={width} y2={base} />
      <polygon class="area" points={area} />
      <polyline class="line" points={points} />
      <text x="2" y="10">
        {`${peak}/min`}
      </text>
      {first === undefined ? null : (
        <text x="2" y={height - 4}>
          {`${hhmm(first.at)} UTC`}
        </text>
      )}
      {last === undefined ? null : (
        <text x={width - 2} y={height - 4} text-anchor="end">
          {view.t('console.time.now')}
        </text>
      )}
    </svg>
  );
}

/** Horizontal bars with their counts: `<progress>` is native, accessible and needs no style attribute. */
export function CountBars({ rows }: { rows: readonly { readonly label: string; readonly count: number }[] }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <div class="hbars">
      {rows.map((r) => (
        <>
          <span class="mono">{r.label}</span>
          <progress max={max} value={r.count} aria-label={r.label}>
            {r.count}
          </progress>
          <span class="num">{r.count}</span>
        </>
      ))}
    </div>
  );
}
