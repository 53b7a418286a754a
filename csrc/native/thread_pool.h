/*
 * The addon's thread pool: the calling thread plus `threads - 1` pthreads that run the tasks of one job at a time.
 * Kernels split their work into tasks whose number and boundaries depend only on the problem's shape, never on
 * the thread count, and tasks write disjoint outputs (reductions go to per-task partials added in task order), so
 * results are bit for bit the same for every thread count.
 */
#ifndef SEPCONV_NATIVE_THREAD_POOL_H
#define SEPCONV_NATIVE_THREAD_POOL_H

/* Runs task `task` on thread `thread` (0 = the caller, 1..threads-1 = the pool's threads). */
typedef void (*pool_task_fn)(void* context, int task, int thread);

/* Threads that run a job, the caller included (1 until pool_set_threads). */
int pool_threads(void);

/* Resizes the pool to `threads` (>= 1) threads in all; returns 0, or -1 if a thread could not be started (the pool
 * then keeps the threads it has). Never call it while a job runs. */
int pool_set_threads(int threads);

/* Runs tasks 0..tasks-1 across the pool and returns when all are done. One job at a time (the addon serialises
 * kernel calls); a single task, or a pool of one, runs inline. */
void pool_run(int tasks, pool_task_fn fn, void* context);

#endif
