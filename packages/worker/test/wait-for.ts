/**
 * A poller for tests that wait on the worker: `waitFor(fn, what)` calls `fn` every `intervalMs` until
 * it returns something other than undefined, or fails after the timeout naming `what`.
 */
export function waiter(defaultTimeoutMs: number, intervalMs = 50) {
  return async function waitFor<T>(
    fn: () => Promise<T | undefined> | T | undefined,
    what: string,
    timeoutMs = defaultTimeoutMs,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
}
