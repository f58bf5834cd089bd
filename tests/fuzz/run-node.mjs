// run-node.mjs - runs one module file in node's V8 and prints the same transcript as
// diff_runner.c (format in harness.h), for tests/fuzz/diff.sh.
//
//   node tests/fuzz/run-node.mjs module.wasm [MAX_CALLS]
//
// With MAX_CALLS, the export call after that many prints "fuel" instead of running, and the
// run stops there: diff.sh passes the number of calls Sluice finished before it ran out of
// fuel, so that V8 does not spin in the same endless loop.
//
// Every import gets a generic definition: a function that prints its arguments and returns
// zeros, or a fresh memory / table / global. Every exported function is called with zero
// arguments, after "hangLimitInitializer" when the module exports one (binaryen's fuzz
// modules bound loops and recursion with it). The JS API does not expose function types in
// node 20, so the module's type, import, function and export sections are parsed here.
import { readFileSync } from 'node:fs';

const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b, FUNCREF = 0x70, EXTERNREF = 0x6f;

// ---- A minimal reader of the sections we need ----------------------------------------------

function parseModule(bytes) {
  let pos = 8;
  const u8 = () => {
    if (pos >= bytes.length) throw new Error('eof');
    return bytes[pos++];
  };
  const leb = () => {
    let result = 0, shift = 0, b;
    do {
      b = u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  };
  const name = () => {
    const n = leb();
    const s = bytes.subarray(pos, pos + n);
    pos += n;
    return s; // raw bytes
  };
  const limits = () => {
    const flags = u8();
    const min = leb();
    const max = flags & 1 ? leb() : undefined;
    return { min, max };
  };
  const types = [], imports = [], funcs = [], exports = [];
  while (pos < bytes.length) {
    const id = u8();
    const size = leb();
    const end = pos + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        if (u8() !== 0x60) throw new Error('non-function type');
        const params = [], results = [];
        for (let k = leb(); k > 0; k--) params.push(u8());
        for (let k = leb(); k > 0; k--) results.push(u8());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        const imp = { module: name(), name: name(), kind: u8() };
        if (imp.kind === 0) {
          imp.type = types[leb()];
          funcs.push(imp.type);
        } else if (imp.kind === 1) {
          imp.elem = u8();
          imp.limits = limits();
        } else if (imp.kind === 2) {
          imp.limits = limits();
        } else if (imp.kind === 3) {
          imp.valtype = u8();
          imp.mut = u8();
        } else {
          throw new Error('unknown import kind');
        }
        imports.push(imp);
      }
    } else if (id === 3) {
      for (let n = leb(); n > 0; n--) funcs.push(types[leb()]);
    } else if (id === 7) {
      for (let n = leb(); n > 0; n--) exports.push({ name: name(), kind: u8(), index: leb() });
    }
    pos = end;
  }
  return { types, imports, funcs, exports };
}

// ---- Printing --------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: false });
// The C API takes names as C strings: print them up to the first NUL byte, as harness.c does.
function esc(raw) {
  let s = '';
  for (const b of raw) {
    if (b === 0) break;
    s += b > 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : '\\' + b.toString(16).padStart(2, '0');
  }
  return s;
}

const dv = new DataView(new ArrayBuffer(8));
function fmt(type, v) {
  switch (type) {
    case I32: return `i32:${v | 0}`;
    case I64: return `i64:${BigInt.asIntN(64, BigInt(v))}`;
    case F32:
      if (Number.isNaN(v)) return 'f32:nan';
      dv.setFloat32(0, v);
      return 'f32:0x' + dv.getUint32(0).toString(16).padStart(8, '0');
    case F64:
      if (Number.isNaN(v)) return 'f64:nan';
      dv.setFloat64(0, v);
      return 'f64:0x' + dv.getBigUint64(0).toString(16).padStart(16, '0');
    case FUNCREF:
    case EXTERNREF: return v === null ? 'null' : 'ref';
    default: return 'v128';
  }
}

function zero(type) {
  if (type === I64) return 0n;
  if (type === FUNCREF || type === EXTERNREF) return null;
  return 0;
}

const valueName = { [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [FUNCREF]: 'anyfunc', [EXTERNREF]: 'externref' };

function trapKind(e) {
  const m = String(e && e.message);
  if (e instanceof RangeError && /call stack/i.test(m)) return null; // inconclusive
  if (!(e instanceof WebAssembly.RuntimeError)) return 'other ' + m.replace(/\s+/g, '_');
  if (/unreachable/.test(m)) return 'unreachable';
  if (/memory access out of bounds|data segment/.test(m)) return 'memory';
  if (/table index is out of bounds|element segment|table initializer|invalid index into function table|table access/.test(m)) return 'table';
  if (/null function or function signature mismatch|signature mismatch/.test(m)) return 'indirect';
  if (/divide by zero|remainder by zero/.test(m)) return 'div';
  if (/divide result unrepresentable/.test(m)) return 'overflow';
  if (/float unrepresentable/.test(m)) return 'overflow'; // as harness.c: one class
  if (/null/.test(m)) return 'null';
  return 'other ' + m.replace(/\s+/g, '_');
}

function fnv1a(buf) {
  const p = new Uint8Array(buf);
  let h = 0x811c9dc5;
  for (let k = 0; k < p.length; k++) h = Math.imul(h ^ p[k], 0x01000193) >>> 0;
  return h;
}

// ---- Running -------------------------------------------------------------------------------

const out = [];
let outChars = 0;
const print = (s) => {
  out.push(s);
  outChars += s.length + 1;
};
// As in harness.c: a guest that logs in a long loop is stopped once the log is this big.
const LOG_LIMIT = 8 << 20;
class LogLimit extends Error {}
const maxCalls = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);

function run(bytes) {
  let mod;
  try {
    mod = new WebAssembly.Module(bytes);
  } catch (e) {
    // Anything but a CompileError (e.g. out of memory) is inconclusive.
    print(e instanceof WebAssembly.CompileError ? 'module invalid' : 'module nomem');
    return;
  }
  print('module ok');
  const parsed = parseModule(bytes);
  // The C API cannot define an import whose name holds a NUL byte (names are C strings), so
  // Sluice's runner always fails to link such a module; say the same.
  if (parsed.imports.some((imp) => imp.module.includes(0) || imp.name.includes(0))) {
    print('instantiate link');
    return;
  }
  // A linker holds one definition per name (the last), and host functions are typed in
  // Sluice but not in JS: two imports of one name with different function or global types
  // cannot both link there.
  const seen = new Map();
  for (const imp of parsed.imports) {
    const key = esc(imp.module) + '.' + esc(imp.name);
    const sig = imp.kind === 0 ? `f${imp.type.params}:${imp.type.results}`
              : imp.kind === 3 ? `g${imp.valtype}/${imp.mut}` : `k${imp.kind}`;
    if (seen.has(key) && seen.get(key) !== sig) {
      print('instantiate link');
      return;
    }
    seen.set(key, sig);
  }
  const importObject = {};
  for (const imp of parsed.imports) {
    const mname = utf8.decode(imp.module), fname = utf8.decode(imp.name);
    importObject[mname] ??= {};
    let value;
    if (imp.kind === 0) {
      const type = imp.type;
      const label = `import ${esc(imp.module)}.${esc(imp.name)}`;
      value = (...args) => {
        if (outChars > LOG_LIMIT) throw new LogLimit('log limit');
        print([label, ...type.params.map((t, k) => fmt(t, args[k]))].join(' '));
        if (type.results.length === 0) return undefined;
        if (type.results.length === 1) return zero(type.results[0]);
        return type.results.map(zero);
      };
    } else {
      try {
        if (imp.kind === 1) {
          value = new WebAssembly.Table({ element: valueName[imp.elem], initial: imp.limits.min, maximum: imp.limits.max });
        } else if (imp.kind === 2) {
          value = new WebAssembly.Memory({ initial: imp.limits.min, maximum: imp.limits.max });
        } else {
          value = new WebAssembly.Global({ value: valueName[imp.valtype], mutable: imp.mut === 1 }, zero(imp.valtype));
        }
      } catch {
        continue; // instantiation reports the link error
      }
    }
    importObject[mname][fname] = value;
  }

  let instance;
  try {
    instance = new WebAssembly.Instance(mod, importObject);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) print('instantiate link');
    else if (e instanceof RangeError && !/call stack/i.test(e.message)) print('instantiate nomem');
    else {
      const kind = trapKind(e);
      print(kind === null ? 'instantiate exhausted' : `instantiate trap ${kind}`);
    }
    return;
  }
  print('instantiate ok');
  const ex = instance.exports;
  const hang = ex.hangLimitInitializer;
  let ncalls = 0;
  for (const e of parsed.exports) {
    const jsName = utf8.decode(e.name);
    if (e.kind !== 0 || jsName === 'hangLimitInitializer') continue;
    if (typeof hang === 'function') {
      try {
        hang();
      } catch {}
    }
    print(`call ${esc(e.name)}`);
    if (ncalls++ >= maxCalls) {
      print('fuel');
      break;
    }
    if (e.name.includes(0)) {
      print('skip name-with-nul');
      continue;
    }
    const type = parsed.funcs[e.index];
    if ([...type.params, ...type.results].includes(V128)) {
      print('skip v128');
      continue;
    }
    let r;
    try {
      r = ex[jsName](...type.params.map(zero));
    } catch (err) {
      if (err instanceof LogLimit) {
        print('fuel');
        break;
      }
      const kind = trapKind(err);
      if (kind === null) {
        print('exhausted');
        break;
      }
      print(`trap ${kind}`);
      continue;
    }
    const results = type.results.length === 1 ? [r] : type.results.length === 0 ? [] : Array.from(r);
    print(['result', ...type.results.map((t, k) => fmt(t, results[k]))].join(' '));
  }
  for (const e of parsed.exports) {
    if (e.kind !== 2 || e.name.includes(0)) continue;
    const buf = ex[utf8.decode(e.name)].buffer;
    print(`memory ${esc(e.name)} ${buf.byteLength / 65536} 0x${fnv1a(buf).toString(16).padStart(8, '0')}`);
  }
}

run(readFileSync(process.argv[2]));
process.stdout.write(out.join('\n') + '\n');
