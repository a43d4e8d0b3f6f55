/**
 * A small well-formedness check for the SVG strings we write or get from vega: one <svg> root
 * with the SVG namespace, balanced tags, quoted attributes, no raw '<' or '&' in text. Not a
 * full XML parser; enough to catch broken escaping or truncated output before it reaches a file.
 */

/** The first problem found in `svg`, or null when it looks well-formed. */
export function svgProblem(svg: string): string | null {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  if (!body.startsWith('<svg')) return `expected the document to start with <svg, got ${JSON.stringify(body.slice(0, 20))}`;
  if (!/^<svg[^>]*\sxmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(body)) return 'expected the <svg> root to declare xmlns="http://www.w3.org/2000/svg"';
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  let rootClosed = false;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    if (/[<]/.test(text)) return `unparsable markup near offset ${last}: ${JSON.stringify(text.slice(0, 40))}`;
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) return `unescaped '&' in text near offset ${last}`;
    if (rootClosed && text.trim() !== '') return 'content after the root element';
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (rootClosed) return `element <${name}> after the root element`;
    if (close) {
      const open = stack.pop();
      if (open !== name) return `closing </${name}> does not match <${open ?? 'nothing'}>`;
      if (stack.length === 0) rootClosed = true;
    } else if (!selfClose) {
      stack.push(name);
    } else if (stack.length === 0) {
      rootClosed = true;
    }
  }
  const rest = body.slice(last);
  if (rest.trim() !== '') return `unparsable trailing content: ${JSON.stringify(rest.slice(0, 40))}`;
  if (stack.length > 0) return `unclosed <${stack[stack.length - 1]}>`;
  if (!rootClosed) return 'no root element';
  return null;
}
