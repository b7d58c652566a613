import { fstatSync, writeSync } from 'node:fs';

/**
 * `isatty(fd)` without loading `tty` (and with it `net` and the stream machinery) when the answer
 * is no: only a character device can be a terminal, and pipes and files are not.
 */
export function isTerminal(fd: number): boolean {
  try {
    // `bigint: true` on purpose: a plain fstat of a pipe leaves S_IFIFO in the stat array that
    // Node 20's fs.realpathSync re-reads for cached path components, and require() then stops
    // resolving symlinks (pnpm's node_modules are symlinks). BigIntStats use a separate array.
    if (!fstatSync(fd, { bigint: true }).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return (require('node:tty') as typeof import('node:tty')).isatty(fd);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes synchronously to `fd` (a pipe or a file), as Node's own stdout does for those on Linux,
 * without creating a stream. Waits out EAGAIN (a full non-blocking pipe) and stops writing on
 * EPIPE (the reader went away, as in `strata status | head -1`).
 */
export function fdWriter(fd: number): { write(chunk: string): boolean } {
  let closed = false;
  return {
    write(chunk: string): boolean {
      if (closed || chunk.length === 0) return true;
      const bytes = Buffer.from(chunk, 'utf8');
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            Atomics.wait(pause, 0, 0, 1);
            continue;
          }
          if (code === 'EPIPE') {
            closed = true;
            return true;
          }
          throw error;
        }
      }
      return true;
    },
  };
}
