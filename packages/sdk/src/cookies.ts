/**
 * A minimal cookie jar for runtimes without a browser's cookie store (Node, Deno, workers): keeps
 * the hub's session and CSRF cookies between calls of one client. Browsers manage cookies
 * themselves and never use it.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Reads the Set-Cookie headers of a response: new values, and removals (Max-Age=0 or expired). */
  store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const removed =
        value === '' ||
        attributes.some((a) => {
          const [key = '', v = ''] = a.split('=').map((s) => s.trim());
          if (key.toLowerCase() === 'max-age') return Number(v) <= 0;
          if (key.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
          return false;
        });
      if (removed) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** The Cookie header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
