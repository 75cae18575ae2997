import type { Tenant } from '@ppv/db';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * The hub's own page until the storefront and console arrive: branded for the tenant, with
 * sign-in, registration, password reset, the signed-in account and its sessions.
 */
export function homePage(tenant: Tenant, view: 'home' | 'reset'): string {
  const name = escapeHtml(tenant.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${view === 'reset' ? 'Reset password · ' : ''}${name}</title>
<link rel="stylesheet" href="/assets/hub.css">
<style>:root{--primary:${tenant.primaryColor};--accent:${tenant.accentColor}}</style>
</head>
<body data-view="${view}">
<header>
  ${tenant.logoUrl ? `<img class="logo" src="${escapeHtml(tenant.logoUrl)}" alt="">` : ''}
  <h1>${name}</h1>
  <p class="tag">Pay-per-view videos, on PPV Stream</p>
</header>
<main>
  <p id="status" role="status" aria-live="polite"></p>
  <section id="signed-out" hidden>
    <div class="cards">
      <form id="login" class="card">
        <h2>Sign in</h2>
        <label>Email or username <input name="login" autocomplete="username" required></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button>Sign in</button>
        <button type="button" id="forgot" class="link">Forgot your password?</button>
      </form>
      <form id="register" class="card">
        <h2>Create an account</h2>
        <label>Username <input name="username" autocomplete="username" required pattern="[a-z0-9_]{3,32}"></label>
        <label>Email <input name="email" type="email" autocomplete="email" required></label>
        <label>Password <input name="password" type="password" autocomplete="new-password" minlength="10" required></label>
        <button>Create account</button>
      </form>
    </div>
  </section>
  <section id="signed-in" hidden>
    <div class="card">
      <h2>Hello, <span id="me-name"></span></h2>
      <p>Role here: <strong id="me-role"></strong></p>
      <button id="logout">Sign out</button>
    </div>
    <div class="card">
      <h2>Your sessions</h2>
      <ul id="sessions"></ul>
    </div>
  </section>
  <section id="reset" hidden>
    <form id="reset-form" class="card">
      <h2>Choose a new password</h2>
      <label>New password <input name="newPassword" type="password" autocomplete="new-password" minlength="10" required></label>
      <button>Set password</button>
    </form>
  </section>
</main>
<footer><a href="/healthz">Status</a></footer>
<script type="module" src="/assets/hub.js"></script>
</body>
</html>`;
}
