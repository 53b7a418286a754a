/**
 * The control words a threaded plan shares between its threads (an Int32Array in the wasm memory) and the barrier
 * that separates its steps: every thread finishes its part of a step before any starts the next. Threads spin a
 * little (a step often takes microseconds) before sleeping in Atomics.wait.
 */

/** Incremented by the main thread to start a run. */
export const RUN = 0;
/** Threads that reached the current barrier. */
export const ARRIVED = 1;
/** Incremented each time a barrier opens. */
export const OPENED = 2;
/** Set by a worker whose kernel call threw. */
export const FAILED = 3;
/** Set by the main thread to stop the workers. */
export const STOP = 4;
export const CONTROL_WORDS = 8;

/** Spins before sleeping: about the time of a small step. */
const SPINS = 100_000;

/** Blocks until all `threads` threads have called it for this barrier. */
export function barrier(control: Int32Array, threads: number): void {
  const opened = Atomics.load(control, OPENED);
  if (Atomics.add(control, ARRIVED, 1) === threads - 1) {
    Atomics.store(control, ARRIVED, 0);
    Atomics.add(control, OPENED, 1);
    Atomics.notify(control, OPENED);
    return;
  }
  for (let i = 0; Atomics.load(control, OPENED) === opened; i++)
    if (i >= SPINS) Atomics.wait(control, OPENED, opened);
}
