/**
 * The linked exploration's scatter and gallery, registered as run-page sections (sections.ts): a
 * scatter per projection a run has (signatures: each layer's UMAP; desom: its codes; ae: its test
 * codes), and the gallery and export of whatever the page's selection holds.
 */
import { h } from '../dom.js';
import { drawModelOf } from '../draw/load.js';
import { registerRunSection } from '../sections.js';
import { gallerySection } from './gallery.js';
import { classNames, inputsOf } from './inputs.js';
import { Scatter } from './scatter.js';
import { scattersOf } from './views.js';

/** Kinds whose rows are dataset images (the inputs route maps them). */
const IMAGE_ROWS = new Set(['signatures', 'desom', 'som', 'kmeans', 'ae', 'mlp', 'cnn']);

registerRunSection({
  name: 'scatter',
  title: 'Latent space',
  kinds: ['signatures', 'desom', 'ae', 'vae'],
  async render(ctx) {
    const specs = await scattersOf(ctx.run, (name) => ctx.array(name), classNames(ctx.run));
    if (specs.length === 0) return null;
    const inputs = IMAGE_ROWS.has(ctx.run.kind) ? inputsOf(ctx.run) : null;
    // An autoencoder's (or a DESOM's) tooltip shows the row's reconstruction too, made in the page by its model.
    const reconstruct =
      ctx.run.kind === 'ae' || ctx.run.kind === 'desom'
        ? async (pixels: Uint8Array): Promise<Float32Array | null> => {
            const model = await drawModelOf(ctx.run, (name) => ctx.array(name));
            return (
              await model.infer(
                Float32Array.from(pixels, (v) => v / 255),
                { place: false },
              )
            ).reconstruction;
          }
        : null;
    return h(
      'div',
      { class: specs.length > 1 ? 'scatters two' : 'scatters' },
      specs.map((s) => new Scatter({ name: s.name, title: s.title, views: s.views, selection: ctx.selection, inputs, probe: ctx.probe, reconstruct }).element),
    );
  },
});

registerRunSection({
  name: 'gallery',
  title: 'Selection',
  kinds: ['signatures', 'desom', 'som', 'kmeans'],
  render: gallerySection,
});
