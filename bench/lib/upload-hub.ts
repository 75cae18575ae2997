/**
 * The hub of bench/upload.ts, in its own process so that its memory is measured alone: a test
 * database (`createHarness`), `MAX_UPLOAD_BYTES` raised to 4 GiB, `startHub` on 127.0.0.1, a tenant,
 * a creator and the creator's API token, sent to the parent over IPC. The parent then asks for a
 * video row by id (`video`) and finally for shutdown (`close`); the harness removes its media folder.
 */
import { createHarness } from '@ppv/core/testing';
import { withTenant } from '@ppv/db';
import { startHub } from '@ppv/hub';

export interface HubReady {
  type: 'ready';
  url: string;
  host: string;
  token: string;
  mediaDir: string;
}
export type HubRequest = { type: 'video'; id: string } | { type: 'close' };
export interface VideoReply {
  type: 'video';
  row: { status: string; source_bytes: string | null; duration_seconds: string | null } | null;
}

const MAX_UPLOAD_BYTES = 4 * 2 ** 30;

async function main(): Promise<void> {
  const harness = await createHarness();
  const { config } = harness.deps;
  const deps = {
    ...harness.deps,
    config: { ...config, media: { ...config.media, maxUploadBytes: MAX_UPLOAD_BYTES } },
  };
  const hub = await startHub({ deps, host: '127.0.0.1', port: 0, trustProxy: false });
  const tenant = await harness.tenant();
  const creator = await harness.signedIn(tenant, { role: 'creator' });
  const { token } = await creator.api.apiTokens.create({ name: 'bench upload' });

  process.on('message', (message: HubRequest) => {
    if (message.type === 'video') {
      withTenant(deps.orm, tenant.id, (em) =>
        em.execute('SELECT status, source_bytes, duration_seconds FROM videos WHERE id = ?', [message.id]),
      ).then(
        (rows) => process.send!({ type: 'video', row: rows[0] ?? null } as VideoReply),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    } else {
      hub
        .close()
        .then(() => harness.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(error);
            process.exit(1);
          },
        );
    }
  });
  process.send!({
    type: 'ready',
    url: hub.url,
    host: `${tenant.slug}.${config.hubDomain}`,
    token,
    mediaDir: harness.mediaDir,
  } satisfies HubReady);
}

if (process.send) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
