/** A small SVG line chart (log-scaled x), enough for throughput against instance count. */

export interface Series {
  name: string;
  color: string;
  points: Array<{ x: number; y: number }>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChartSvg(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const W = 560;
  const H = 320;
  const m = { l: 60, r: 150, t: 36, b: 48 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const lx = (x: number) => Math.log10(x);
  const xMin = lx(Math.min(...xs)) - 0.15;
  const xMax = lx(Math.max(...xs)) + 0.15;
  const yMax = Math.max(...ys, 0.001) * 1.15;
  const px = (x: number) => m.l + ((lx(x) - xMin) / (xMax - xMin || 1)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - m.r / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax / 4) * i;
    out.push(`<line x1="${m.l - 4}" y1="${py(y)}" x2="${W - m.r}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 8}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(y < 10 ? 1 : 0)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${px(x)}" y="${H - m.b + 16}" text-anchor="middle">${x.toLocaleString('en-US')}</text>`);
  }
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    const ly = m.t + 10 + i * 20;
    out.push(`<rect x="${W - m.r + 14}" y="${ly - 8}" width="12" height="12" fill="${s.color}"/>`);
    out.push(`<text x="${W - m.r + 32}" y="${ly + 2}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
