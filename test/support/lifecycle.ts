/** Clean-ups registered by lazily started test resources, run once when the mocha run ends. */
const cleanups: Array<() => Promise<void>> = [];

export function onRunEnd(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const next = cleanups.pop()!;
    try {
      await next();
    } catch (err) {
      console.error(`[test] clean-up failed: ${(err as Error).message}`);
    }
  }
}
