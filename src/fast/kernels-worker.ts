// A worker thread of the training kernels (started by setKernelThreads in team.ts): it instantiates the
// kernels' module on the shared arena, then runs the parts it is given through its control block (the
// protocol is described in team.ts), until told to stop. It computes only; it owns no arrays.

import { workerData } from 'node:worker_threads';
import { KERNELS, kernelTable } from './arena.js';
import { CONTROL, CONTROL_INTS, CONTROL_REALS, OP_STOP } from './team.js';

const { SEQ, DONE, FAILED, OP, CLAIM, ARGS, READY } = CONTROL;

const { module, memory, control } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; control: Int32Array };
const kernels = kernelTable(new WebAssembly.Instance(module, { env: { memory } }).exports);
const reals = new Float64Array(control.buffer, CONTROL_INTS * 4, CONTROL_REALS);
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
    kernels[op](...args);
  } catch (e) {
    process.stderr.write(`ner: kernel worker: ${(e as Error).message}\n`);
    Atomics.store(control, FAILED, 1);
  }
  Atomics.store(control, DONE, seq);
  Atomics.notify(control, DONE);
}
