import { request as httpRequest } from 'node:http';

export interface HttpResponse {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely
  json: any;
  cookies: Record<string, string>;
  setCookie: string[];
}

/**
 * A raw HTTP request (fetch cannot set the Host header, which selects the tenant). The path is sent
 * exactly as given, without URL normalization, so tests can send `..` and odd encodings.
 */
export function request(
  baseUrl: string,
  method: string,
  path: string,
  opts: { host?: string; headers?: Record<string, string>; body?: unknown; rawBody?: string | Buffer } = {},
): Promise<HttpResponse> {
  const base = new URL(baseUrl);
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        hostname: base.hostname,
        port: base.port,
        path,
        method,
        headers: {
          ...(opts.host && { host: opts.host }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          const setCookie = res.headers['set-cookie'] ?? [];
          const cookies: Record<string, string> = {};
          for (const line of setCookie) {
            const [pair] = line.split(';');
            const [name, ...value] = pair!.split('=');
            cookies[name!.trim()] = value.join('=');
          }
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            body: raw,
            headers: res.headers,
            text,
            json,
            cookies,
            setCookie,
          });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const cookieHeader = (cookies: Record<string, string>) =>
  Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
