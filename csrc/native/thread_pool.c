/*
 * Thread pool: workers wait on a job generation counter; the caller publishes a job and runs tasks itself. Tasks
 * are claimed with an atomic counter. Once every task is claimed the caller closes the job and waits only for the
 * workers inside it: a worker that has not joined yet (asleep, or its CPU taken by another process) finds the job
 * closed and stays out, so it never holds the caller up; the caller has run the tasks nobody else took. Workers
 * and the caller poll for a while before sleeping, because kernel calls come back to back (a layer every few
 * hundred microseconds) and waking a sleeping thread costs tens of microseconds, hundreds when its virtual CPU has
 * to be woken too.
 */
#define _POSIX_C_SOURCE 200809L
#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/*
 * How long a worker (or the caller) polls before it sleeps. Polling uses plain loads, no PAUSE: under KVM, a
 * PAUSE loop makes the host deschedule the virtual CPU (pause-loop exiting), which is the very wake-up latency
 * polling is meant to avoid.
 */
#define SPIN_NANOSECONDS 200000L
#define SPIN_CHECK_EVERY 256

static long nanoseconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

/*
 * Polls `done(arg)` for up to SPIN_NANOSECONDS; returns whether it became true. Between rounds it yields, so on
 * an oversubscribed machine a poller never keeps a thread that has work (e.g. the caller) off its CPU.
 */
static int spin_until(int (*done)(const void*), const void* arg) {
  const long deadline = nanoseconds_now() + SPIN_NANOSECONDS;
  for (;;) {
    for (int i = 0; i < SPIN_CHECK_EVERY; i++)
      if (done(arg)) return 1;
    if (nanoseconds_now() > deadline) return 0;
    sched_yield();
  }
}

typedef struct worker {
  pthread_t id;
  int index;
  unsigned long seen; /* the generation when it was started: it joins only later jobs */
} worker;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;

static worker* workers = NULL;
static int worker_count = 0;
static atomic_int stopping = 0;
static atomic_ulong generation = 0;

/* The current job: written by the caller while it is closed and no worker is inside, then opened. */
static pool_task_fn job_fn;
static void* job_context;
static int job_tasks;
static atomic_int next_task;
static atomic_int job_open;
/* Workers inside the current job (they joined while it was open and have not left). */
static atomic_int inside;

static void run_tasks(int thread) {
  for (;;) {
    const int task = atomic_fetch_add_explicit(&next_task, 1, memory_order_relaxed);
    if (task >= job_tasks) return;
    job_fn(job_context, task, thread);
  }
}

static int new_job_or_stopping(const void* seen) {
  return atomic_load_explicit(&generation, memory_order_acquire) != *(const unsigned long*)seen ||
         atomic_load_explicit(&stopping, memory_order_relaxed);
}

/* Waits for a generation after `seen` (or for stopping); returns the new generation. */
static unsigned long await_job(unsigned long seen) {
  if (!spin_until(new_job_or_stopping, &seen)) {
    pthread_mutex_lock(&lock);
    while (atomic_load(&generation) == seen && !atomic_load(&stopping)) pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
  }
  return atomic_load_explicit(&generation, memory_order_acquire);
}

/* Enters the job if it is still open (seq_cst against the caller's close-then-count, see pool_run), runs tasks,
 * leaves; the last one out wakes a caller that sleeps on it. */
static void join_job(int thread) {
  atomic_fetch_add(&inside, 1);
  if (atomic_load(&job_open)) run_tasks(thread);
  if (atomic_fetch_sub(&inside, 1) == 1) {
    pthread_mutex_lock(&lock);
    pthread_cond_signal(&finished);
    pthread_mutex_unlock(&lock);
  }
}

static void* worker_main(void* arg) {
  const worker* self = arg;
  unsigned long seen = self->seen;
  for (;;) {
    seen = await_job(seen);
    if (atomic_load(&stopping)) return NULL;
    join_job(self->index);
  }
}

static void stop_workers(void) {
  pthread_mutex_lock(&lock);
  atomic_store(&stopping, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < worker_count; i++) pthread_join(workers[i].id, NULL);
  free(workers);
  workers = NULL;
  worker_count = 0;
  atomic_store(&stopping, 0);
}

int pool_threads(void) { return worker_count + 1; }

int pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads == worker_count + 1) return 0;
  stop_workers();
  worker* started = calloc((size_t)threads - 1, sizeof(worker));
  if (started == NULL && threads > 1) return -1;
  workers = started;
  for (int i = 0; i < threads - 1; i++) {
    workers[i].index = i + 1;
    workers[i].seen = atomic_load(&generation);
    if (pthread_create(&workers[i].id, NULL, worker_main, &workers[i]) != 0) {
      worker_count = i;
      return -1;
    }
  }
  worker_count = threads - 1;
  return 0;
}

static int workers_out(const void* unused) {
  (void)unused;
  return atomic_load(&inside) == 0;
}

void pool_run(int tasks, pool_task_fn fn, void* context) {
  if (tasks <= 0) return;
  if (tasks == 1 || worker_count == 0) {
    for (int t = 0; t < tasks; t++) fn(context, t, 0);
    return;
  }
  job_fn = fn;
  job_context = context;
  job_tasks = tasks;
  atomic_store(&next_task, 0);
  atomic_store(&job_open, 1);
  pthread_mutex_lock(&lock);
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  run_tasks(0);
  /* Every task is claimed: close, then wait for the workers inside. A worker counted after this sees the job
   * closed (both sides are seq_cst), so it never touches the job fields the next pool_run writes. */
  atomic_store(&job_open, 0);
  if (!spin_until(workers_out, NULL)) {
    pthread_mutex_lock(&lock);
    while (atomic_load(&inside) != 0) pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
  }
}
