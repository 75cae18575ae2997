import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHubApp, type HubOptions } from './app';
import { expireUploads } from './routes/uploads';

const UPLOAD_SWEEP_MS = 3600_000;

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
  const sweep = () =>
    expireUploads(options.deps).then(
      (removed) => removed > 0 && options.deps.logger.info({ removed }, 'expired abandoned uploads'),
      (error: unknown) => options.deps.logger.warn({ err: error }, 'could not expire abandoned uploads'),
    );
  void sweep();
  const sweeper = setInterval(sweep, UPLOAD_SWEEP_MS);
  sweeper.unref();
  const shownHost = ['0.0.0.0', '::', '127.0.0.1'].includes(options.host) ? 'localhost' : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close() {
      clearInterval(sweeper);
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      return closed;
    },
  };
}
