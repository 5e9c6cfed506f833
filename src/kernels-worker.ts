// A worker thread of the WebAssembly kernels (started by setKernelThreads in kernels-wasm.ts): it
// instantiates the same module on the same shared memory, then runs the parts of products it is given
// through its control block (the protocol is described in kernels-wasm.ts), until told to stop. It
// computes only; it owns no arrays.

import { workerData } from 'node:worker_threads';
import { CLAIM, CONTROL_INTS, OP_DTX, OP_DW, OP_SGD, OP_STOP, OP_TANH, OP_XWT } from './kernels-wasm.js';

const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const OP = 3;
const ARGS = 4;

type Kernel = (...args: number[]) => void;
const { module, memory, control } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: Int32Array };
const k = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, Kernel>;
const reals = new Float64Array(control.buffer, CONTROL_INTS * 4, 2);
// kernel, its number of whole-number arguments, and of float64 ones (which follow them)
const kernels: Record<number, [Kernel, number, number]> = {
  [OP_XWT]: [k.gemmXWt, 7, 0],
  [OP_DTX]: [k.gemmDtX, 9, 0],
  [OP_DW]: [k.gemmDW, 10, 0],
  [OP_SGD]: [k.sgd, 3, 2],
  [OP_TANH]: [k.tanh, 3, 0],
};

for (;;) {
  // wait for an open job, spinning for about a millisecond before sleeping
  const start = performance.now();
  let spins = 0;
  for (let claim = Atomics.load(control, CLAIM); claim !== 0; claim = Atomics.load(control, CLAIM)) {
    if ((++spins & 1023) === 0 && performance.now() - start > 1) Atomics.wait(control, CLAIM, claim);
  }
  if (Atomics.load(control, OP) === OP_STOP) break;
  if (Atomics.compareExchange(control, CLAIM, 0, 1) !== 0) continue; // the caller took it
  const seq = Atomics.load(control, SEQ);
  try {
    const [run, arity, realArity] = kernels[Atomics.load(control, OP)];
    const args: number[] = [];
    for (let a = 0; a < arity; a++) args.push(Atomics.load(control, ARGS + a));
    for (let a = 0; a < realArity; a++) args.push(reals[a]);
    run(...args);
  } catch (e) {
    process.stderr.write(`ner: kernel worker: ${(e as Error).message}\n`);
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seq);
  Atomics.notify(control, DONE);
}
