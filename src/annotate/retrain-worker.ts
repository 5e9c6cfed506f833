// The worker thread of retrain.ts: one job in, one result out.

import { parentPort, workerData } from 'node:worker_threads';
import { setKernelThreads } from '../fast/team.js';
import { retrain, type RetrainJob } from './retrain.js';

setKernelThreads(1);
parentPort!.postMessage(await retrain(workerData as RetrainJob));
