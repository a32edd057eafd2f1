// Print the production bundle's size: every file of dist/, raw and gzip-compressed (what the gateway sends).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const dist = new URL("../dist/", import.meta.url).pathname;
const files = [];
const walk = (d) => readdirSync(d).forEach((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : files.push(join(d, n))));
walk(dist);
let raw = 0, gz = 0;
for (const f of files.sort()) {
  const body = readFileSync(f);
  const z = gzipSync(body).length;
  raw += body.length; gz += z;
  console.log(`  ${relative(dist, f).padEnd(48)} ${(body.length / 1024).toFixed(1).padStart(8)} KiB  gzip ${(z / 1024).toFixed(1).padStart(7)} KiB`);
}
console.log(`bundle: ${files.length} files, ${(raw / 1024).toFixed(1)} KiB, gzip ${(gz / 1024).toFixed(1)} KiB`);
