import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sankeySvg, type SankeyInput } from './sankey.js';
import { categoryColor } from './palette.js';
import { svgProblem } from './svg-check.js';

/** Two classes through two hidden layers: 20 + 10 rows. */
function small(): SankeyInput {
  return {
    columns: ['input class', 'h1', 'h2', 'prediction'],
    classNames: ['one <1>', 'seven & co'],
    title: 'paths "test"',
    nodes: [
      { id: 'in:0', column: 0, label: '1', count: 20 },
      { id: 'in:1', column: 0, label: '7', count: 10 },
      { id: 'h1:0', column: 1, label: 'h1 · c0', count: 18 },
      { id: 'h1:1', column: 1, label: 'h1 · c1', count: 12 },
      { id: 'h2:0', column: 2, label: 'h2 · c0', count: 30 },
      { id: 'out:0', column: 3, label: '1', count: 19 },
      { id: 'out:1', column: 3, label: '7', count: 11 },
    ],
    links: [
      { source: 'in:0', target: 'h1:0', value: 17, byClass: [17, 0] },
      { source: 'in:0', target: 'h1:1', value: 3, byClass: [3, 0] },
      { source: 'in:1', target: 'h1:0', value: 1, byClass: [0, 1] },
      { source: 'in:1', target: 'h1:1', value: 9, byClass: [0, 9] },
      { source: 'h1:0', target: 'h2:0', value: 18, byClass: [17, 1] },
      { source: 'h1:1', target: 'h2:0', value: 12, byClass: [3, 9] },
      { source: 'h2:0', target: 'out:0', value: 19, byClass: [18, 1] },
      { source: 'h2:0', target: 'out:1', value: 11, byClass: [2, 9] },
    ],
  };
}

interface Band {
  fill: string;
  opacity: number;
  title: string;
  /** Thickness at the source end and at the target end, from the outline. */
  left: number;
  right: number;
}

function bands(svg: string): Band[] {
  return Array.from(svg.matchAll(/<path class="band" d="([^"]*)" fill="([^"]*)" fill-opacity="([^"]*)"><title>([^<]*)<\/title><\/path>/g), (m) => {
    // M xs,ys C … xt,yt L xt,yt+b C … xs,ys+b Z
    const nums = m[1].match(/-?[\d.]+(?:e-?\d+)?/g)!.map(Number);
    const ys = nums[1];
    const yt = nums[7];
    const ytb = nums[9];
    const ysb = nums[15];
    return { fill: m[2], opacity: Number(m[3]), title: m[4], left: ysb - ys, right: ytb - yt };
  });
}

test('sankeySvg writes well-formed standalone SVG with escaped text', () => {
  const svg = sankeySvg(small());
  assert.equal(svgProblem(svg), null);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="960" height="540" viewBox="0 0 960 540"/);
  assert.match(svg, />paths &quot;test&quot;</);
  assert.match(svg, />one &lt;1&gt;</);
  assert.match(svg, />seven &amp; co</);
  for (const title of ['input class', 'h1', 'h2', 'prediction']) assert.match(svg, new RegExp(`font-weight="bold" fill="#333333">${title}</text>`));
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
});

test('sankeySvg draws one band per (link, class with rows), coloured by class, with a tooltip', () => {
  const input = small();
  const b = bands(sankeySvg(input));
  const expected = input.links.reduce((s, l) => s + l.byClass.filter((v) => v > 0).length, 0);
  assert.equal(b.length, expected);
  assert.equal(b.length, 12);
  assert.ok(b.every((x) => x.fill === categoryColor(0) || x.fill === categoryColor(1)));
  assert.equal(b.filter((x) => x.fill === categoryColor(1)).length, 6);
  const titles = b.map((x) => x.title);
  assert.ok(titles.includes('1 → h1 · c0: 17 rows of class one &lt;1&gt;'), titles.join('\n'));
  assert.ok(titles.includes('7 → h1 · c0: 1 row of class seven &amp; co'), titles.join('\n'));
  assert.ok(titles.includes('h1 · c1 → h2 · c0: 9 rows of class seven &amp; co'), titles.join('\n'));
});

test('sankeySvg band thickness is proportional to rows, the same at both ends', () => {
  const b = bands(sankeySvg(small()));
  const rowsOf = (x: Band) => Number(/: (\d+) rows? of/.exec(x.title)![1]);
  const big = b.find((x) => x.title.startsWith('1 → h1 · c0'))!;
  const tiny = b.find((x) => x.title.startsWith('7 → h1 · c0'))!;
  assert.ok(Math.abs(big.left / tiny.left / (17 / 1) - 1) < 1e-6, `${big.left} / ${tiny.left}`);
  const k = big.left / 17;
  for (const x of b) {
    assert.ok(Math.abs(x.left / rowsOf(x) / k - 1) < 1e-6, `${x.title}: ${x.left}`);
    assert.ok(Math.abs(x.right - x.left) < 1e-5, `${x.title}: ${x.left} vs ${x.right}`);
  }
});

test('sankeySvg lists every class in the legend and keeps the input order of nodes within a column', () => {
  const input = small();
  const svg = sankeySvg(input);
  const legend = Array.from(svg.matchAll(/<rect class="legend" [^>]*fill="([^"]*)"/g), (m) => m[1]);
  assert.deepEqual(legend, [categoryColor(0), categoryColor(1)]);
  const nodes = Array.from(svg.matchAll(/<rect class="node" x="([^"]*)" y="([^"]*)"[^>]*><title>([^<]*)<\/title>/g), (m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    title: m[3],
  }));
  assert.equal(nodes.length, 7);
  const y = (title: string) => nodes.find((n) => n.title === title)!.y;
  assert.ok(y('1 (input class): 20 rows') < y('7 (input class): 10 rows'));
  assert.ok(y('h1 · c0: 18 rows') < y('h1 · c1: 12 rows'));
  // The same ids listed in the other order swap places.
  const swapped = { ...input, nodes: [input.nodes[1], input.nodes[0], ...input.nodes.slice(2)] };
  const svg2 = sankeySvg(swapped);
  const y2 = (title: string) => Number(new RegExp(`<rect class="node" x="[^"]*" y="([^"]*)"[^>]*><title>${title}</title>`).exec(svg2)![1]);
  assert.ok(y2('1 \\(input class\\): 20 rows') > y2('7 \\(input class\\): 10 rows'));
  // Four distinct columns, left to right.
  assert.equal(new Set(nodes.map((n) => n.x)).size, 4);
});

test('sankeySvg is deterministic and leaves its input untouched', () => {
  const input = small();
  const before = JSON.stringify(input);
  const a = sankeySvg(input, { minLinkValue: 2, highlightClasses: [1] });
  assert.equal(JSON.stringify(input), before);
  assert.equal(sankeySvg(small(), { minLinkValue: 2, highlightClasses: [1] }), a);
  assert.equal(sankeySvg(input), sankeySvg(small()));
});

test('sankeySvg leaves out flows below minLinkValue, says so, and fades classes not highlighted', () => {
  const all = sankeySvg(small());
  assert.doesNotMatch(all, /not drawn/);
  const svg = sankeySvg(small(), { minLinkValue: 5, highlightClasses: [0] });
  assert.equal(svgProblem(svg), null);
  // The flows of 3 rows (in:0 → h1:1) and 1 row (in:1 → h1:0) go.
  assert.match(svg, />4 rows in flows below 5 not drawn</);
  const b = bands(svg);
  assert.equal(b.length, 10);
  assert.ok(!b.some((x) => x.title.startsWith('1 → h1 · c1') || x.title.startsWith('7 → h1 · c0')));
  assert.ok(b.every((x) => (x.fill === categoryColor(0) ? x.opacity > 0.5 : x.opacity < 0.2)));
  // Flows of a single column pair only: every column still gets its own x.
  const svg2 = sankeySvg(small(), { minLinkValue: 20 });
  assert.equal(svgProblem(svg2), null);
  assert.equal(bands(svg2).length, 0);
  const xs = new Set(Array.from(svg2.matchAll(/<rect class="node" x="([^"]*)"/g), (m) => m[1]));
  assert.equal(xs.size, 4);
});

test('sankeySvg rejects inconsistent input, naming itself and the culprit', () => {
  const bad = (edit: (i: SankeyInput) => void, re: RegExp, o = {}) => {
    const input = small();
    edit(input);
    assert.throws(() => sankeySvg(input, o), re);
  };
  bad((i) => (i.links[2].target = 'h1:9'), /^RangeError: sankeySvg: link 2 has an unknown target node id "h1:9"/);
  bad((i) => (i.links[0].source = 'nope'), /sankeySvg: link 0 has an unknown source node id "nope"/);
  bad((i) => (i.links[0].value = -17), /sankeySvg: expected the value of link 0 .* to be a finite number ≥ 0, got -17/);
  bad((i) => (i.links[0].byClass = [18, -1]), /sankeySvg: expected byClass\[1\] of link 0 .*≥ 0, got -1/);
  bad((i) => (i.nodes[3].count = -1), /sankeySvg: expected the count of node "h1:1" to be a finite number ≥ 0, got -1/);
  bad((i) => (i.links[4].byClass = [17, 1, 0]), /sankeySvg: expected byClass of link 4 \("h1:0" → "h2:0"\) to have 2 entries \(one per class name\), got 3/);
  bad((i) => (i.links[4].byClass = [17, 2]), /sankeySvg: byClass of link 4 .* sums to 19, expected its value 18/);
  bad((i) => (i.links[0].target = 'in:1'), /sankeySvg: link 0 .* must go to a later column, got column 0 → 0/);
  bad((i) => (i.nodes[2].count = 10), /sankeySvg: flows into node "h1:0" add up to 18, more than its count 10/);
  bad((i) => (i.nodes[4].id = 'h1:0'), /sankeySvg: node id "h1:0" appears twice/);
  bad((i) => (i.nodes[0].column = 4), /sankeySvg: expected node "in:0" to have a column in 0\.\.3, got 4/);
  bad(() => {}, /sankeySvg: expected highlightClasses to be class indices in 0\.\.1, got 2/, { highlightClasses: [2] });
  bad(() => {}, /sankeySvg: expected minLinkValue to be a finite number ≥ 0/, { minLinkValue: -1 });
  bad(() => {}, /sankeySvg: .* leaves no room/, { width: 120 });
});
