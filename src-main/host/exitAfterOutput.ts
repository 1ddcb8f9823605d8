/**
 * Exits once stdout and stderr have handed every byte to the OS. On a pipe Node writes
 * asynchronously, and process.exit() right after a large write drops whatever the reader
 * has not taken yet (a --json document cut at 65,536 bytes, the pipe's buffer); a write's
 * callback runs only after every earlier write on that stream has been flushed.
 */
export function exitAfterOutput(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength === 0 || stream.destroyed) done();
    else stream.write('', () => done());
  }
}
