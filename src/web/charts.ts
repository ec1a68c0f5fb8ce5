/**
 * chart.js, registered piece by piece so the bundle holds only what the panels draw, plus one small
 * plugin: labelled horizontal reference lines ("16 GB card: 16.7 GB usable").
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  type Plugin,
  PointElement,
  Tooltip,
} from 'chart.js';

export interface RefLine {
  value: number;
  label: string;
  color: string;
  dash?: number[];
  /** Where the label sits; the chosen device's goes left so it never covers a card size's label. */
  align?: 'left' | 'right';
}

declare module 'chart.js' {
  interface PluginOptionsByType<TType> {
    refLines?: { lines: RefLine[] };
  }
}

const refLines: Plugin = {
  id: 'refLines',
  afterDatasetsDraw(chart, _args, options: { lines?: RefLine[] }) {
    const y = chart.scales.y;
    if (!y || !options.lines?.length) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.font = '11px system-ui, sans-serif';
    for (const l of options.lines) {
      const py = y.getPixelForValue(l.value);
      if (py < chartArea.top || py > chartArea.bottom) continue;
      ctx.strokeStyle = l.color;
      ctx.fillStyle = l.color;
      ctx.lineWidth = l.dash ? 1 : 2;
      ctx.setLineDash(l.dash ?? []);
      ctx.beginPath();
      ctx.moveTo(chartArea.left, py);
      ctx.lineTo(chartArea.right, py);
      ctx.stroke();
      ctx.textAlign = l.align ?? 'right';
      ctx.fillText(l.label, l.align === 'left' ? chartArea.left + 4 : chartArea.right - 4, py - 3);
    }
    ctx.restore();
  },
};

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
  refLines,
);
Chart.defaults.animation = false; // numbers change on every input; animation would only lag behind them
Chart.defaults.maintainAspectRatio = false;

const charts = new WeakMap<HTMLCanvasElement, Chart>();

/** Draw (or redraw) a chart in a canvas. */
export function draw(canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  charts.get(canvas)?.destroy();
  const c = new Chart(canvas, config);
  charts.set(canvas, c);
  // What the chart shows, as data on the canvas: scripts, tests and assistive tools can read it.
  const lines = (config.options?.plugins as { refLines?: { lines: RefLine[] } } | undefined)?.refLines?.lines ?? [];
  canvas.dataset.chart = JSON.stringify({
    labels: config.data.labels,
    datasets: config.data.datasets.map((d) => ({ label: d.label, data: d.data })),
    lines: lines.map((l) => ({ label: l.label, value: l.value })),
    // The value axis as drawn, so a test can tell a reference line is inside it.
    y: c.scales.y ? { min: c.scales.y.min, max: c.scales.y.max } : null,
  });
  return c;
}

export const chartOf = (canvas: HTMLCanvasElement) => charts.get(canvas);

/** Remove a chart whose numbers no longer answer the inputs (the request failed). */
export function clear(canvas: HTMLCanvasElement): void {
  charts.get(canvas)?.destroy();
  charts.delete(canvas);
  delete canvas.dataset.chart;
}
