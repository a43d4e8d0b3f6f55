/**
 * Text helpers shared by the SVG and HTML writers.
 */

/** Escapes the five characters that are special in HTML/XML text and attribute values. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

/**
 * A number for people: integers in full (below 1e15), otherwise 4 significant digits with
 * trailing zeros dropped (0.98123 → "0.9812", 2.5 → "2.5"), scientific notation outside
 * [1e-3, 1e6) (1.234e-5); NaN/±Infinity spelled out.
 */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) {
    const [m, e] = v.toExponential(digits - 1).split('e');
    return `${String(Number(m))}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(digits)));
}

/** FNV-1a 32-bit hash in base 36: short, deterministic ids derived from content. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36);
}

/** Class names made distinct (a repeated name gets its index appended), as heatmaps need. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n, i) => {
    const v = seen.has(n) ? `${n} (${i})` : n;
    seen.add(v);
    return v;
  });
}
