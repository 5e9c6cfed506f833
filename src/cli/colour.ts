// When output is coloured. One rule for stdout and stderr, each judged by its own stream:
//   1. --no-color: never;
//   2. FORCE_COLOR: 0 or false never; 1, 2, 3 (or empty, true) always, at that level, even into a pipe;
//   3. NO_COLOR (any non-empty value): never;
//   4. otherwise on a terminal, at the level the terminal supports (chalk's detection), and never into a
//      pipe or file.
// FORCE_COLOR wins over NO_COLOR as it does for Node itself; the flag wins over both. chalk 5 reads
// FORCE_COLOR and the TTY but not NO_COLOR, so the levels are set here.

import type { ChalkInstance } from 'chalk';

type Level = 0 | 1 | 2 | 3;

/** The colour level for a stream. `detected`: chalk's level from the terminal (used only for rule 4). */
export function colourLevel(noColorFlag: boolean, env: NodeJS.ProcessEnv, isTTY: boolean, detected: number): Level {
  if (noColorFlag) return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force.toLowerCase() === 'false') return 0;
    const n = Number(force);
    return (force === '' || force.toLowerCase() === 'true' || !Number.isInteger(n) || n < 1 ? 1 : Math.min(3, n)) as Level;
  }
  if (env.NO_COLOR) return 0;
  if (!isTTY) return 0;
  return Math.max(0, Math.min(3, detected)) as Level; // 0 on a terminal that has none (TERM=dumb)
}

/** Sets the levels of the stdout and stderr chalk instances by the rule above. */
export function applyColour(ink: ChalkInstance, paint: ChalkInstance, noColorFlag: boolean): void {
  ink.level = colourLevel(noColorFlag, process.env, !!process.stdout.isTTY, detectedLevel(ink));
  paint.level = colourLevel(noColorFlag, process.env, !!process.stderr.isTTY, detectedLevel(paint));
}

/** chalk's own level for an instance, as it was before applyColour first changed it. */
const detected = new WeakMap<ChalkInstance, number>();
function detectedLevel(c: ChalkInstance): number {
  if (!detected.has(c)) detected.set(c, c.level);
  return detected.get(c)!;
}
