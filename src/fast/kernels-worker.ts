// A worker thread of the WebAssembly kernels (started by setKernelThreads in kernels-wasm.ts): it
// instantiates the same module on the same shared memory, then runs the parts of products it is given
// through its control block (the protocol is described in kernels-wasm.ts), until told to stop. It
// computes only; it owns no arrays.

import { workerData } from 'node:worker_threads';
import { CONTROL, CONTROL_INTS, CONTROL_REALS, KERNELS, OP_STOP, kernelTable } from './kernels-wasm.js';

const { SEQ, DONE, FAILED, OP, CLAIM, ARGS, READY } = CONTROL;

const { module, memory, control } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: Int32Array };
const kernels = kernelTable(new WebAssembly.Instance(module, { env: { memory } }).exports);
const reals = new Float64Array(control.buffer, CONTROL_INTS * 4, CONTROL_REALS); // the arguments, then the job's ms
Atomics.store(control, READY, 1);

for (;;) {
  // wait for an open job, spinning for about a millisecond before sleeping
  let start = performance.now();
  let spins = 0;
  for (let claim = Atomics.load(control, CLAIM); claim !== 0; claim = Atomics.load(control, CLAIM)) {
    if ((++spins & 1023) === 0 && performance.now() - start > 1) {
      Atomics.wait(control, CLAIM, claim);
      start = performance.now(); // awake: spin again, the jobs come in quick succession
    }
  }
  if (Atomics.load(control, OP) === OP_STOP) break;
  if (Atomics.compareExchange(control, CLAIM, 0, 1) !== 0) continue; // the caller took it
  const seq = Atomics.load(control, SEQ);
  try {
    const op = Atomics.load(control, OP);
    const args: number[] = [];
    for (let a = 0; a < KERNELS[op].ints; a++) args.push(Atomics.load(control, ARGS + a));
    for (let a = 0; a < KERNELS[op].reals; a++) args.push(reals[a]);
    const t0 = performance.now();
    kernels[op](...args);
    reals[2] = performance.now() - t0; // published by the atomic store of DONE below
  } catch (e) {
    process.stderr.write(`ner: kernel worker: ${(e as Error).message}\n`);
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seq);
  Atomics.notify(control, DONE);
}
