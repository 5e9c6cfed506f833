// Typed errors. Library code throws these; only the CLI entry point (src/cli/main.ts) turns them
// into a message on stderr and an exit code. Every message says what went wrong, where, and how to fix it.

/** An expected failure caused by the user's input or options: exit code 1, no stack trace. */
export class NerError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  constructor(message: string, hint?: string, exitCode = 1) {
    super(message);
    this.name = 'NerError';
    this.hint = hint;
    this.exitCode = exitCode;
  }
}

/** Bad data in a file: names the file and (when known) the 1-based line. */
export class DataError extends NerError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string, hint?: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`, hint);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
  }
}

/** A bad command-line option or combination of options. */
export class UsageError extends NerError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'UsageError';
  }
}

/** Training was interrupted (SIGINT/SIGTERM): exit code 130 after saving what can be saved. */
export class InterruptedError extends NerError {
  constructor(message: string, hint?: string) {
    super(message, hint, 130);
    this.name = 'InterruptedError';
  }
}

/** Asserts an internal invariant (a shape where modules meet, say); a failure here is a bug: exit 2. */
export function assertShape(ok: boolean, what: string, expected: number | string, got: number | string): void {
  if (!ok) throw new NerError(`shape mismatch in ${what}: expected ${expected}, got ${got}`, undefined, 2);
}
