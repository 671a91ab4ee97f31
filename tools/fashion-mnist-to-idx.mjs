// Cuts a subset of Fashion-MNIST (Zalando, MIT licence) from Debian's dataset-fashion-mnist package into gzipped IDX
// files beside MNIST's in samples/data:
//
//   apt-get update && apt-get install -y dataset-fashion-mnist
//   node tools/fashion-mnist-to-idx.mjs /usr/share/datasets/fashion-mnist samples/data
//
// The subset is the first 12,000 images of the training file and the first 2,000 of the test file, in their original
// order (the original files are already interleaved, so each prefix holds all ten classes in near-equal shares; the
// counts are printed). Bytes are copied unchanged; only the count in each header changes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const [sourceDir, outDir] = process.argv.slice(2);
if (!sourceDir || !outDir) {
  console.error('usage: node tools/fashion-mnist-to-idx.mjs <dir with the Fashion-MNIST .gz files> <output dir>');
  process.exit(2);
}

const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function readIdx(file, magic) {
  const bytes = gunzipSync(readFileSync(join(sourceDir, file)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${file}: magic 0x${view.getUint32(0).toString(16)}, expected 0x${magic.toString(16)}`);
  const rank = magic & 0xff;
  const dims = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const header = 4 + 4 * rank;
  const expected = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== expected) throw new Error(`${file}: ${bytes.length - header} data bytes, header says ${expected}`);
  return { dims, data: bytes.subarray(header) };
}

function writeIdx(file, magic, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const gz = gzipSync(Buffer.concat([header, Buffer.from(data)]), { level: 9 });
  writeFileSync(join(outDir, file), gz);
  console.log(`${file}: ${dims.join(' x ')}, ${gz.length} bytes gzipped`);
}

function cut(prefix, outPrefix, count) {
  const images = readIdx(`${prefix}-images-idx3-ubyte.gz`, 0x803);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte.gz`, 0x801);
  if (images.dims[0] !== labels.dims[0]) throw new Error(`${prefix}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  if (images.dims[0] < count) throw new Error(`${prefix}: only ${images.dims[0]} images, ${count} wanted`);
  const size = images.dims[1] * images.dims[2];
  const pick = labels.data.subarray(0, count);
  const perClass = new Array(10).fill(0);
  for (const l of pick) {
    if (l > 9) throw new Error(`${prefix}: label ${l} is not 0-9`);
    perClass[l]++;
  }
  writeIdx(`${outPrefix}-images-idx3-ubyte.gz`, 0x803, [count, images.dims[1], images.dims[2]], images.data.subarray(0, count * size));
  writeIdx(`${outPrefix}-labels-idx1-ubyte.gz`, 0x801, [count], pick);
  console.log(`  per class: ${perClass.map((n, c) => `${classes[c]}: ${n}`).join(', ')}`);
  // One image per class as ASCII art, to check pixels against labels by eye.
  const shown = new Set();
  for (let i = 0; i < count && shown.size < 3; i++) {
    if (shown.has(pick[i])) continue;
    shown.add(pick[i]);
    console.log(`  #${i}: ${classes[pick[i]]}`);
    for (let y = 0; y < images.dims[1]; y += 2) {
      let row = '    ';
      for (let x = 0; x < images.dims[2]; x++) row += ' .:-=+*#%@'[Math.floor(images.data[i * size + y * images.dims[2] + x] / 25.6)];
      console.log(row);
    }
  }
}

cut('train', 'fashion-mnist-12k-train', 12000);
cut('t10k', 'fashion-mnist-2k-test', 2000);
