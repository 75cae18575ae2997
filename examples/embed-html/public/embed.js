// @ts-check
/**
 * Puts <ppv-player> on the page for `?hub=…&tenant=…&video=…` and, when the viewer gives one, hands
 * the player their API token (the cross-site way to authenticate: see the README).
 */

const TOKEN_KEY = 'ppv-api-token';
const params = new URLSearchParams(location.search);

/** @typedef {HTMLElement & { token: string | null, state: string }} PpvPlayer */

const player = /** @type {PpvPlayer} */ (document.createElement('ppv-player'));
player.setAttribute('hub', params.get('hub') ?? 'http://localhost:8080');
const tenant = params.get('tenant');
if (tenant) player.setAttribute('tenant', tenant);
player.setAttribute('video', params.get('video') ?? '');

const form = /** @type {HTMLFormElement} */ (document.getElementById('token-form'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('token'));
const forget = /** @type {HTMLButtonElement} */ (document.getElementById('forget'));

/** @param {string | null} token */
function useToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  forget.hidden = !token;
  player.token = token;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  useToken(input.value.trim() || null);
  input.value = '';
});
forget.addEventListener('click', () => useToken(null));

// The element upgrades once /ppv-player.js has defined it; the token can be set before or after.
useToken(sessionStorage.getItem(TOKEN_KEY));
document.getElementById('player-slot')?.append(player);
