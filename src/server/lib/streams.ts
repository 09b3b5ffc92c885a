/**
 * Async plumbing for streaming work with bounded memory: fetch the next item while the current one
 * is processed, re-cut a stream of arrays into even chunks, and keep a bounded number of writes in
 * flight.
 */

/** Starts fetching the next item while the consumer works on the current one. */
export async function* prefetched<T>(
  source: AsyncGenerator<T, void, undefined>,
): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const result = await next;
    if (result.done) return;
    next = source.next();
    // If the consumer stops (an error while writing), the pending fetch must not go unhandled.
    next.catch(() => {});
    yield result.value;
  }
}

/** Re-cuts a stream of arrays into arrays of `size` (the last one shorter); holds < 2 × size. */
export async function* rechunked<T>(source: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  let buffer: T[] = [];
  for await (const items of source) {
    buffer = buffer.length === 0 ? items : buffer.concat(items);
    while (buffer.length >= size) {
      yield buffer.slice(0, size);
      buffer = buffer.slice(size);
    }
  }
  if (buffer.length > 0) yield buffer;
}

/**
 * Writes in flight: up to `limit` at once. `run` waits while the limit is reached, so a producer
 * holds at most `limit` items being written plus the one it is preparing. The first failure is
 * thrown by the next `run` or by `drain`.
 */
export class BoundedWrites {
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    this.check();
    const promise: Promise<void> = task().then(
      () => {
        this.inflight.delete(promise);
      },
      (error: unknown) => {
        this.inflight.delete(promise);
        this.failure ??= { error };
      },
    );
    this.inflight.add(promise);
    while (this.inflight.size >= this.limit) await Promise.race(this.inflight);
    this.check();
  }

  /** Waits for the writes in flight, whatever their outcome. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inflight);
  }

  /** Waits for the writes in flight and throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inflight);
    this.check();
  }

  private check() {
    if (this.failure) throw this.failure.error;
  }
}
