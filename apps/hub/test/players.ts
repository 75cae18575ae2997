/**
 * A page playing a master playlist with hls.js (served next to it as `/hls.js`): `watch(masterUrl,
 * token)` plays two seconds and reports what it saw. The token goes in a header through `xhrSetup` (which hls.js may call
 * before the request is opened, when no header can be set yet: open it first), or, with `token`
 * empty, in the master URL's query, which the hub carries into every playlist and the key URI.
 */
export const hlsJsPage = `<!doctype html>
<html><body>
<video id="video" muted playsinline width="320"></video>
<script src="/hls.js"></script>
<script>
  window.watch = async (masterUrl, token) => {
    const video = document.getElementById('video');
    const errors = [];
    const hls = new Hls({
      xhrSetup: (xhr, url) => {
        if (!token || !url.includes('/play/')) return;
        if (xhr.readyState === 0) xhr.open('GET', url, true);
        xhr.setRequestHeader('Authorization', 'Bearer ' + token);
      },
    });
    let fatal = null;
    hls.on(Hls.Events.ERROR, (_, data) => {
      errors.push({ details: data.details, fatal: data.fatal, status: data.response ? data.response.code : null });
      if (data.fatal) fatal = data;
    });
    const parsed = new Promise((resolve) => {
      hls.on(Hls.Events.MANIFEST_PARSED, () => resolve(true));
      hls.on(Hls.Events.ERROR, (_, data) => data.fatal && resolve(false));
    });
    hls.loadSource(masterUrl);
    hls.attachMedia(video);
    if (!(await parsed)) return { loaded: false, errors };
    await video.play();
    const deadline = Date.now() + 20000;
    while (video.currentTime < 2 && !video.ended && Date.now() < deadline && !fatal) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const quality = video.getVideoPlaybackQuality();
    const result = {
      loaded: true,
      currentTime: video.currentTime,
      width: video.videoWidth,
      decodedFrames: quality.totalVideoFrames,
      errors,
    };
    hls.destroy();
    return result;
  };
</script>
</body></html>`;

export interface HlsJsWatched {
  loaded: boolean;
  currentTime: number;
  width: number;
  errors: { details: string; fatal: boolean; status: number | null }[];
}

/** The flags Chromium runs with in these tests (headless, no network side traffic, autoplay). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/** hls.js reports skipping the few milliseconds before the first frame (MPEG-TS timestamps start
 * after 0) as a non-fatal bufferSeekOverHole notice; anything else is an error. */
export const unexpectedHlsErrors = (errors: { details: string }[]) =>
  errors.filter((e) => e.details !== 'bufferSeekOverHole');
