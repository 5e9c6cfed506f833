// A worker thread of the WebAssembly kernels (started by setKernelThreads in kernels-wasm.ts): it
// instantiates the same module on the same shared memory, then runs the parts of products it is given
// through its control block, until told to stop. It computes only; it owns no arrays.

import { workerData } from 'node:worker_threads';
import { CONTROL_INTS, OP_DTX, OP_DW, OP_STOP, OP_XWT } from './kernels-wasm.js';

const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const OP = 3;
const ARGS = 4;

type Kernel = (...args: number[]) => void;
const { module, memory, control } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: Int32Array };
if (control.length !== CONTROL_INTS) throw new Error(`kernels-worker: control block of ${control.length} Int32s, expected ${CONTROL_INTS}`);
const k = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, Kernel>;
const kernels: Record<number, [Kernel, number]> = {
  [OP_XWT]: [k.gemmXWt, 7],
  [OP_DTX]: [k.gemmDtX, 9],
  [OP_DW]: [k.gemmDW, 10],
};

let last = 0;
for (;;) {
  // spin for about a millisecond before sleeping: in training the next job comes sooner than that
  let seq = Atomics.load(control, SEQ);
  const start = performance.now();
  let spins = 0;
  while (seq === last) {
    if ((++spins & 1023) === 0 && performance.now() - start > 1) Atomics.wait(control, SEQ, last);
    seq = Atomics.load(control, SEQ);
  }
  if (seq === -1 || Atomics.load(control, OP) === OP_STOP) break;
  last = seq;
  try {
    const [run, arity] = kernels[Atomics.load(control, OP)];
    const args: number[] = [];
    for (let a = 0; a < arity; a++) args.push(Atomics.load(control, ARGS + a));
    run(...args);
  } catch (e) {
    process.stderr.write(`ner: kernel worker: ${(e as Error).message}\n`);
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seq);
  Atomics.notify(control, DONE);
}
