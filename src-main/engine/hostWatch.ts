/**
 * Ends the engine when its host is gone. An engine whose host died (killed, or crashed in
 * native code) has no one to answer and would otherwise train on, holding memory and the GPU,
 * until the machine restarts. A forked child hears `disconnect` when the IPC channel closes;
 * any kind of engine also notices its parent process vanishing (a poll of the parent's pid,
 * for the utility process, whose parent port has no close event).
 */
const POLL_MS = 1000;

/** Starts watching; returns the function that stops it (the poll timer never keeps the engine alive). */
export function exitWhenHostDies(kind: 'utility' | 'child', exit: (why: string) => void = defaultExit): () => void {
  const parent = process.ppid;
  const onDisconnect = (): void => exit('the host closed the IPC channel');
  if (kind === 'child') process.on('disconnect', onDisconnect);
  const timer = setInterval(() => {
    if (!isAlive(parent) || process.ppid !== parent) exit(`the host process ${parent} is gone`);
  }, POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.off('disconnect', onDisconnect);
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function defaultExit(why: string): void {
  process.stderr.write(`trainbench engine exiting: ${why}\n`);
  process.exit(0);
}
