import { Upload } from 'tus-js-client';

/**
 * The studio's upload form: a tus upload to the console's `/uploads` (passed on to the hub) with a
 * real progress bar, pause and resume. tus-js-client remembers unfinished uploads by file
 * fingerprint in localStorage, so picking the same file again continues where it stopped.
 */
const form = document.querySelector<HTMLFormElement>('form[data-upload]');
if (form) {
  const q = <T extends Element>(selector: string) => form.querySelector<T>(selector)!;
  const bar = q<HTMLProgressElement>('progress');
  const box = q<HTMLElement>('[data-progress-box]');
  const status = q<HTMLElement>('[data-upload-status]');
  const start = q<HTMLButtonElement>('[data-start]');
  const pause = q<HTMLButtonElement>('[data-pause]');
  const resume = q<HTMLButtonElement>('[data-resume]');
  let upload: Upload | null = null;

  const say = (text: string) => {
    status.textContent = text;
  };
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) {
      say('Choose a video file first.');
      box.hidden = false;
      return;
    }
    const price = String(data.get('price') ?? '0').trim();
    const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(price);
    if (!m) {
      say('The price is an amount of US dollars, such as 4.99.');
      box.hidden = false;
      return;
    }
    const priceCents = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
    const metadata: Record<string, string> = {
      filename: file.name,
      filetype: file.type,
      description: String(data.get('description') ?? ''),
      priceCents: String(priceCents),
      previewSeconds: String(data.get('previewSeconds') ?? '0'),
    };
    const title = String(data.get('title') ?? '').trim();
    if (title) metadata.title = title;

    upload = new Upload(file, {
      endpoint: '/uploads',
      chunkSize: 4 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      metadata,
      removeFingerprintOnSuccess: true,
      onProgress(sent, total) {
        bar.value = total ? Math.floor((sent / total) * 100) : 0;
        say(`${mb(sent)} of ${mb(total)} sent`);
      },
      onSuccess(payload) {
        bar.value = 100;
        const id = payload.lastResponse.getHeader('PPV-Video-Id');
        say('Upload complete: the video is queued for transcoding.');
        // Finished: nothing is left to pause or resume.
        upload = null;
        pause.hidden = true;
        resume.hidden = true;
        start.disabled = false;
        form.dispatchEvent(new CustomEvent('ppv:uploaded', { bubbles: true, detail: { videoId: id } }));
        setTimeout(() => location.reload(), 800);
      },
      onError(error) {
        const body = 'originalResponse' in error ? error.originalResponse?.getBody()?.trim() : '';
        say(body || 'The upload stopped: check the connection and press Resume.');
        start.disabled = false;
        pause.hidden = true;
        resume.hidden = !upload;
      },
    });
    const previous = await upload.findPreviousUploads();
    const last = previous[0];
    if (last) {
      upload.resumeFromPreviousUpload(last);
      say('Resuming an earlier upload of this file…');
    } else {
      say('Starting…');
    }
    box.hidden = false;
    start.disabled = true;
    pause.hidden = false;
    resume.hidden = true;
    upload.start();
  });

  pause.addEventListener('click', async () => {
    const running = upload;
    if (!running) return;
    await running.abort();
    if (upload !== running) return;
    pause.hidden = true;
    resume.hidden = false;
    say(`Paused at ${bar.value}%. Press Resume to go on.`);
  });
  resume.addEventListener('click', () => {
    if (!upload) return;
    resume.hidden = true;
    pause.hidden = false;
    start.disabled = true;
    upload.start();
  });
}
