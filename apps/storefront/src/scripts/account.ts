import { call, HubError, say } from './hub';

/** Creating an API token: its secret is shown once, here, never again. */
const form = document.querySelector<HTMLFormElement>('form[data-token-form]');
const shown = document.querySelector<HTMLElement>('[data-new-token]');
form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const days = String(data.get('expiresInDays') ?? '').trim();
  const button = form.querySelector('button')!;
  button.disabled = true;
  try {
    const created = await call<{ token: string }>('apiTokens.create', {
      name: String(data.get('name') ?? ''),
      ...(days && { expiresInDays: Number(days) }),
    });
    form.hidden = true;
    shown!.querySelector('output')!.textContent = created.token;
    shown!.hidden = false;
  } catch (error) {
    say(form.closest('section')!, error instanceof HubError ? error.message : String(error));
  } finally {
    button.disabled = false;
  }
});
