// node-wasi.mjs - runs a WASI (preview1) command module under Node's built-in WASI, for
// comparison with Sluice. Usage: node --no-warnings bench/node-wasi.mjs FILE.wasm [ARGS...]
import { readFile } from 'node:fs/promises';
import { argv, env, exit } from 'node:process';
import { WASI } from 'node:wasi';

const file = argv[2];
if (!file) {
  console.error('usage: node-wasi.mjs FILE.wasm [ARGS...]');
  exit(2);
}
const wasi = new WASI({ version: 'preview1', args: argv.slice(2), env, preopens: {} });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
