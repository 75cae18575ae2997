import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHubApp, type HubOptions } from './app';

export interface RunningHub {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one); close() drains open connections. */
export async function startHub(options: HubOptions & { host: string; port: number }): Promise<RunningHub> {
  const app = createHubApp(options);
  const server = app.listen(options.port, options.host);
  await once(server, 'listening');
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const shownHost = ['0.0.0.0', '::', '127.0.0.1'].includes(options.host) ? 'localhost' : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      return closed;
    },
  };
}
