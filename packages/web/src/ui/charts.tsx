/**
 * Charts as inline SVG, no library: columns over time (costs by day) and horizontal bars (by
 * agent, model, user). Each is an image with a title and a text summary; the page's table
 * beside it carries the same numbers for screen readers and copying.
 */

export interface Datum {
  label: string;
  value: number;
}

/** A round step for an axis reaching at least `max`: 1, 2 or 5 times a power of ten. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function ColumnChart(props: { title: string; data: Datum[]; format: (value: number) => string }) {
  const width = 640;
  const height = 220;
  const left = 56;
  const bottom = 28;
  const top = 10;
  const plotWidth = width - left - 8;
  const plotHeight = height - top - bottom;
  const max = niceMax(Math.max(0, ...props.data.map((d) => d.value)));
  const slot = plotWidth / Math.max(1, props.data.length);
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const labelEvery = Math.max(1, Math.ceil(props.data.length / 8));
  const ticks = [0, 0.5, 1].map((share) => share * max);
  const total = props.data.reduce((sum, d) => sum + d.value, 0);
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.title}: ${props.data.length} points, total ${props.format(total)}`}
      >
        <title>{props.title}</title>
        {ticks.map((tick) => {
          const y = top + plotHeight - (tick / max) * plotHeight;
          return (
            <g key={tick}>
              <line class="grid" x1={left} x2={width - 8} y1={y} y2={y} />
              <text class="axis" x={left - 6} y={y + 4} text-anchor="end">
                {props.format(tick)}
              </text>
            </g>
          );
        })}
        {props.data.map((d, i) => {
          const h = (d.value / max) * plotHeight;
          const x = left + i * slot + (slot - barWidth) / 2;
          return (
            <g key={d.label}>
              <rect class="bar" x={x} y={top + plotHeight - h} width={barWidth} height={Math.max(0, h)}>
                <title>{`${d.label}: ${props.format(d.value)}`}</title>
              </rect>
              {i % labelEvery === 0 ? (
                <text class="axis" x={x + barWidth / 2} y={height - 8} text-anchor="middle">
                  {/^\d{4}-\d{2}-\d{2}$/.test(d.label) ? d.label.slice(5) : d.label.slice(0, 10)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption class="visually-hidden">{props.title}</figcaption>
    </figure>
  );
}

export function BarChart(props: { title: string; data: Datum[]; format: (value: number) => string }) {
  const rowHeight = 26;
  const width = 640;
  const labelWidth = 180;
  const valueWidth = 90;
  const data = props.data.slice(0, 15);
  const height = Math.max(rowHeight, data.length * rowHeight) + 4;
  const max = Math.max(0, ...data.map((d) => d.value)) || 1;
  const plot = width - labelWidth - valueWidth;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${props.title}: ${data.length} rows`}>
        <title>{props.title}</title>
        {data.map((d, i) => {
          const y = i * rowHeight + 2;
          const w = (d.value / max) * plot;
          return (
            <g key={d.label}>
              <text class="axis" x={labelWidth - 8} y={y + rowHeight / 2 + 4} text-anchor="end">
                {d.label.length > 26 ? `${d.label.slice(0, 25)}…` : d.label}
              </text>
              <rect class="bar" x={labelWidth} y={y + 4} width={Math.max(1, w)} height={rowHeight - 8}>
                <title>{`${d.label}: ${props.format(d.value)}`}</title>
              </rect>
              <text class="axis" x={labelWidth + w + 6} y={y + rowHeight / 2 + 4}>
                {props.format(d.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="visually-hidden">{props.title}</figcaption>
    </figure>
  );
}
