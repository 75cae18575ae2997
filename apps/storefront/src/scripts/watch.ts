import type { PpvPlayerElement } from '@ppv/player';
import { call } from './hub';

/**
 * The watch page's island: <ppv-player> from @ppv/player, pointed at this page's own origin. The
 * page and /trpc share the origin, so the browser sends the hub's HttpOnly session cookie with the
 * player's calls by itself and the player reads the CSRF token from `auth.me`: nothing secret is
 * written into the page. The element is defined only once its hub is set, so it loads once.
 */
const players = Array.from(document.querySelectorAll<PpvPlayerElement>('ppv-player'));
for (const player of players) player.setAttribute('hub', window.location.origin);
void import('@ppv/player');

// Leaving the page frees the session's place under the cap on screens (a keepalive request
// outlives the page; the player's own clean-up would be cut off).
window.addEventListener('pagehide', () => {
  for (const player of players) {
    const sessionId = player.sessionId;
    if (sessionId) void call('playback.end', { sessionId }, { keepalive: true }).catch(() => undefined);
  }
});
