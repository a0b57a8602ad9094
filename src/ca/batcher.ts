/**
 * Groups concurrent calls into one: while a batch runs, new items queue, and the next batch
 * takes them all. Used for the issuance hot path, where one multi-row statement instead of one
 * statement (and one commit) per certificate leaves the CPU to signing.
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, maxBatch = 256): (item: I) => Promise<O> {
  let queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const out = await run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i]!));
      } catch (err) {
        // A technical failure (database down) fails every call in the batch; each is retried by its job.
        batch.forEach((b) => b.reject(err));
      }
    }
    running = false;
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
