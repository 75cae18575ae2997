/** Static assets of the hub's page: no build step, served with a strict CSP (no inline script). */
export const hubCss = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f2937;background:#f8fafc}
header{background:var(--primary);color:#fff;padding:2rem 1.5rem}header h1{margin:0}.tag{margin:.25rem 0 0;opacity:.85}
.logo{height:48px;float:right}main{max-width:960px;margin:0 auto;padding:1.5rem}
.cards{display:grid;gap:1.5rem;grid-template-columns:repeat(auto-fit,minmax(280px,1fr))}
.card{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px #0002;margin-bottom:1.5rem}
label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.6rem;border:1px solid #cbd5e1;border-radius:8px;font:inherit}
button{background:var(--primary);color:#fff;border:0;border-radius:8px;padding:.6rem 1.2rem;font:inherit;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button.link{background:none;color:var(--primary);padding:.5rem 0;text-decoration:underline}
#status:not(:empty){padding:.75rem 1rem;border-radius:8px;background:#fef3c7}#status.ok{background:#dcfce7}
ul{padding-left:1.2rem}footer{text-align:center;padding:2rem;color:#64748b}`;

export const hubJs = `const $ = (s) => document.querySelector(s);
const csrf = () => (document.cookie.match(/(?:^|; )ppv_csrf=([^;]+)/) || [])[1] || '';
async function call(path, input, method = 'POST') {
  const url = '/trpc/' + path + (method === 'GET' && input !== undefined ? '?input=' + encodeURIComponent(JSON.stringify(input)) : '');
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf() },
    body: method === 'POST' ? JSON.stringify(input ?? {}) : undefined,
  });
  const body = await res.json();
  if (body.error) throw new Error(body.error.message);
  return body.result.data;
}
function say(text, ok = false) { const s = $('#status'); s.textContent = text; s.className = ok ? 'ok' : ''; }
const form = (el) => Object.fromEntries(new FormData(el));
async function refresh() {
  const me = await call('auth.me', undefined, 'GET');
  $('#signed-out').hidden = !!me || document.body.dataset.view === 'reset';
  $('#signed-in').hidden = !me;
  $('#reset').hidden = document.body.dataset.view !== 'reset';
  if (!me) return;
  $('#me-name').textContent = me.username;
  $('#me-role').textContent = me.isHubAdmin ? 'hub admin' : (me.role || 'none').replace('_', ' ');
  const sessions = await call('auth.sessions.list', undefined, 'GET');
  $('#sessions').replaceChildren(...sessions.map((s) => {
    const li = document.createElement('li');
    li.textContent = (s.current ? 'This device · ' : '') + (s.userAgent || 'unknown device') + ' · last seen ' + new Date(s.lastSeenAt).toLocaleString();
    if (!s.current) {
      const b = document.createElement('button'); b.className = 'link'; b.textContent = ' Sign out';
      b.onclick = async () => { await call('auth.sessions.revoke', { sessionId: s.id }); refresh(); };
      li.append(b);
    }
    return li;
  }));
}
const guard = (fn) => async (e) => { e.preventDefault(); try { await fn(e); } catch (err) { say(err.message); } };
$('#login').onsubmit = guard(async (e) => { await call('auth.login', form(e.target)); say('Signed in', true); refresh(); });
$('#register').onsubmit = guard(async (e) => { await call('auth.register', form(e.target)); say('Welcome!', true); refresh(); });
$('#logout').onclick = guard(async () => { await call('auth.logout'); say('Signed out', true); refresh(); });
$('#forgot').onclick = guard(async () => {
  const email = prompt('Your account email'); if (!email) return;
  const r = await call('auth.forgotPassword', { email }); say(r.message, true);
});
$('#reset-form').onsubmit = guard(async (e) => {
  const token = new URLSearchParams(location.search).get('token') || '';
  await call('auth.resetPassword', { token, ...form(e.target) });
  history.replaceState(null, '', '/'); document.body.dataset.view = 'home';
  say('Password changed: sign in with the new one', true); refresh();
});
refresh().catch((err) => say(err.message));`;
