// node-wasi.mjs - run a WASI command under node's WASI with the same arguments as
// `sluice run` takes (--dir HOST[::GUEST], --env K=V, FILE, ARGS), to compare outputs.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import process from 'node:process';

const argv = process.argv.slice(2);
const preopens = {}, env = {};
let i = 0;
for (; i < argv.length && argv[i].startsWith('--'); i++) {
  const v = argv[++i];
  if (argv[i - 1] === '--dir') {
    const [host, guest] = v.includes('::') ? v.split('::') : [v, v];
    preopens[guest] = host;
  } else if (argv[i - 1] === '--env') {
    const k = v.indexOf('=');
    env[v.slice(0, k)] = v.slice(k + 1);
  }
}
const file = argv[i];
const wasi = new WASI({ version: 'preview1', args: argv.slice(i), env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
