import type { ConvergePoint } from '../results.js';

const MB = 1024 * 1024;
const PANEL = { width: 440, height: 300, left: 56, right: 16, top: 40, bottom: 48 };
const COLORS = { operator: '#1f77b4', baseline: '#ff7f0e', before: '#7f7f7f', target: '#d62728' };

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

/** Two panels: converge throughput (operator and baseline) and operator RSS, against N. */
export function renderChart(points: ConvergePoint[], title: string, rssTargetMb: number): string {
  const xs = points.map((p) => p.n);
  const throughput = panel(
    'Converge throughput (objects/s, WI + IB)',
    xs,
    [
      {
        name: 'Keyless',
        color: COLORS.operator,
        points: points.map((p) => [p.n, p.operator.objectsPerSecond]),
      },
      {
        name: 'bare-SDK baseline',
        color: COLORS.baseline,
        points: points.map((p) => [p.n, p.baseline.objectsPerSecond]),
      },
    ],
    0,
  );
  const rss = panel(
    'Operator process RSS (MB) after converging N + N',
    xs,
    [
      {
        name: 'after converge',
        color: COLORS.operator,
        points: points.map((p) => [p.n, p.operator.memory.after.rss / MB]),
      },
      {
        name: 'before the operator started',
        color: COLORS.before,
        points: points.map((p) => [p.n, p.operator.memory.before.rss / MB]),
        dashed: true,
      },
      {
        name: `target ${rssTargetMb} MB (at 10,000)`,
        color: COLORS.target,
        points: [
          [Math.min(...xs), rssTargetMb],
          [Math.max(...xs), rssTargetMb],
        ],
        dashed: true,
      },
    ],
    PANEL.width,
  );
  const width = 2 * PANEL.width;
  const height = PANEL.height + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${xmlText(title)}: converge throughput and operator RSS against N</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${xmlText(title)}</text>`,
    `<g transform="translate(0,20)">${throughput}${rss}</g>`,
    '</svg>',
    '',
  ].join('\n');
}

function panel(title: string, xs: number[], series: Series[], offsetX: number): string {
  const { width, height, left, right, top, bottom } = PANEL;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMax = niceMax(Math.max(1, ...series.flatMap((s) => s.points.map(([, y]) => y))) * 1.1);
  const x = (v: number) => left + (xMax === xMin ? plotW / 2 : ((v - xMin) / (xMax - xMin)) * plotW);
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const out: string[] = [`<g transform="translate(${offsetX},0)">`];
  out.push(
    `<text x="${left + plotW / 2}" y="14" text-anchor="middle" font-weight="bold">${xmlText(title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${formatNumber(v)}</text>`,
    );
  }
  for (const v of xs) {
    out.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${top + plotH + 16}" text-anchor="middle">${v.toLocaleString('en-US')}</text>`,
    );
  }
  out.push(
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle">N (WorkloadIdentities; as many IdentityBindings)</text>`,
  );
  series.forEach((s, i) => {
    const path = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    out.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
    );
    if (!s.dashed) {
      for (const [px, py] of s.points) {
        out.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${s.color}"/>`);
      }
    }
    const ly = top + 8 + i * 14;
    out.push(
      `<line x1="${left + 8}" x2="${left + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
      `<text x="${left + 30}" y="${ly + 4}">${xmlText(s.name)}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

function niceMax(v: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= v) return step * magnitude;
  return 10 * magnitude;
}

function formatNumber(v: number): string {
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
