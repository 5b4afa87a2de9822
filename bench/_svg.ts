/**
 * A horizontal bar chart as a hand-written SVG document: panels of bars,
 * each bar a median with a min..max whisker and, optionally, a target
 * mark. No dependency; the text is escaped.
 *
 * @module
 */

/** One bar. */
export interface Bar {
  label: string;
  /** The bar's length. */
  value: number;
  /** The whisker, when there were several rounds. */
  min?: number;
  max?: number;
  /** A target mark drawn across the bar. */
  target?: number;
  /** Bars of one colour belong together (tcpcraft, C, others). */
  kind: "tcpcraft" | "baseline" | "other";
}

/** A panel: a title, a unit and its bars. */
export interface Panel {
  title: string;
  /** Printed after each value (`kpps`, `×`). */
  unit: string;
  bars: Bar[];
  /** Digits after the point of the printed values. */
  digits?: number;
}

const COLOURS = {
  tcpcraft: "#2f6fb0",
  baseline: "#7a7a7a",
  other: "#c77c2a",
} as const;

function escape(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

/**
 * Draw the panels one under the other.
 *
 * @param title The chart's title.
 * @param subtitle A line under it (the machine, the rounds).
 * @param panels The panels.
 * @returns The SVG document.
 */
export function barChart(
  title: string,
  subtitle: string,
  panels: readonly Panel[],
): string {
  const width = 960;
  const labelWidth = 300;
  const valueWidth = 110;
  const plot = width - labelWidth - valueWidth - 20;
  const rowHeight = 22;
  const out: string[] = [];
  let y = 56;
  for (const panel of panels) {
    const bars = panel.bars.filter((b) => Number.isFinite(b.value));
    if (bars.length === 0) continue;
    const top = Math.max(
      ...bars.map((b) => Math.max(b.value, b.max ?? 0, b.target ?? 0)),
    );
    const scale = top > 0 ? plot / (top * 1.05) : 0;
    out.push(
      `<text x="10" y="${y + 14}" font-weight="bold">${
        escape(panel.title)
      }</text>`,
    );
    y += 24;
    for (const bar of bars) {
      const x0 = labelWidth;
      const w = Math.max(1, bar.value * scale);
      const mid = y + rowHeight / 2;
      out.push(
        `<text x="${x0 - 8}" y="${mid + 4}" text-anchor="end">${
          escape(bar.label)
        }</text>`,
        `<rect x="${x0}" y="${y + 3}" width="${w.toFixed(1)}" height="${
          rowHeight - 6
        }" fill="${COLOURS[bar.kind]}"/>`,
      );
      if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
        const a = (x0 + bar.min * scale).toFixed(1);
        const b = (x0 + bar.max * scale).toFixed(1);
        out.push(
          `<path d="M${a} ${mid}H${b}M${a} ${mid - 5}V${mid + 5}M${b} ${
            mid - 5
          }V${mid + 5}" stroke="#000" fill="none"/>`,
        );
      }
      if (bar.target !== undefined) {
        const t = (x0 + bar.target * scale).toFixed(1);
        out.push(
          `<path d="M${t} ${y}V${
            y + rowHeight
          }" stroke="#c0392b" stroke-width="2" stroke-dasharray="3 2"/>`,
        );
      }
      const digits = panel.digits ?? 1;
      out.push(
        `<text x="${width - valueWidth}" y="${mid + 4}">${
          bar.value.toFixed(digits)
        } ${escape(panel.unit)}</text>`,
      );
      y += rowHeight;
    }
    y += 14;
  }
  const height = y + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="17" font-weight="bold">${
      escape(title)
    }</text>`,
    `<text x="10" y="42" fill="#555">${escape(subtitle)}</text>`,
    ...out,
    `<text x="10" y="${
      height - 8
    }" fill="#555" font-size="11">bars: median; whiskers: min..max over rounds; red dashes: target</text>`,
    `</svg>`,
    "",
  ].join("\n");
}
