/**
 * Building DOM nodes with small typed functions: `h('td', { class: 'num' }, '0.98')`. Text always
 * goes in as text nodes (never innerHTML), so run names and config values cannot inject markup;
 * and no `style` attribute is ever set (the Content-Security-Policy forbids inline styles).
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handler = (e: Event) => void;

/** Attributes; `on*` keys are event listeners, `class` a class name, boolean true an empty attribute. */
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler>;

function apply(el: Element, attrs: Attrs, children: readonly Child[]): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'style') throw new Error('h: inline style attributes are refused by the Content-Security-Policy; use a class');
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
}

/** Appends children (nested arrays flattened; null, undefined and false skipped). */
export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Child[]);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : (c as Node));
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs, children);
  return el;
}

/** Replaces every child of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}
