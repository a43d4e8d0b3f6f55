/**
 * The explorer's single-page app: routes on the URL's fragment (#/, #/run/<id>, #/compare/<id>,…),
 * so every view is a link and the server serves the same page for every path.
 */
import { compareView } from './compare.js';
import { h, replace } from './dom.js';
import { homeView } from './home.js';
import { runView } from './run-page.js';

// Run-page sections (sections.ts) are imported here once they exist, each registering itself.
import './draw/panel.js';
import './scatter/index.js';
import './map.js';
import './sankey-view.js';

const app = document.getElementById('app');
if (app === null) throw new Error('explorer: the page has no #app element');
const view = h('main', { id: 'view' });
replace(app, h('header', { class: 'topbar' }, h('a', { href: '#/', class: 'brand' }, 'latentlab', h('span', {}, ' explorer'))), view);

let close = (): void => {};

function route(): void {
  close();
  const hash = location.hash.replace(/^#\/?/, '');
  const [page, ...rest] = hash.split('/');
  const arg = rest.join('/');
  window.scrollTo(0, 0);
  if (page === 'run' && arg !== '') {
    const id = decodeURIComponent(arg);
    document.title = `${id} · latentlab`;
    close = runView(view, id);
  } else if (page === 'compare' && arg !== '') {
    document.title = 'compare · latentlab';
    close = compareView(
      view,
      arg
        .split(',')
        .filter((x) => x !== '')
        .map(decodeURIComponent),
    );
  } else {
    document.title = 'runs · latentlab';
    close = homeView(view);
  }
}

window.addEventListener('hashchange', route);
route();
