import { call, HubError, say } from './hub';

/**
 * Forms that call one hub procedure: `<form data-procedure="auth.login" data-then="…">`.
 * data-then: `redirect` to data-next, `reload`, or `message` (data-message, else the answer's).
 * Inputs with data-number are sent as numbers (left out when empty).
 */
function valuesOf(form: HTMLFormElement): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const el of Array.from(form.elements)) {
    if (
      !(
        el instanceof HTMLInputElement ||
        el instanceof HTMLSelectElement ||
        el instanceof HTMLTextAreaElement
      )
    )
      continue;
    if (!el.name) continue;
    if (el.dataset.number !== undefined) {
      if (el.value.trim() !== '') values[el.name] = Number(el.value);
    } else values[el.name] = el.value;
  }
  return values;
}

function clearFieldErrors(form: HTMLFormElement) {
  for (const el of Array.from(form.querySelectorAll('[aria-invalid]'))) el.removeAttribute('aria-invalid');
  for (const el of Array.from(form.querySelectorAll('.field-error'))) el.remove();
}

function showFieldErrors(form: HTMLFormElement, error: HubError) {
  for (const issue of error.issues) {
    const input = form.querySelector<HTMLInputElement>(`[name="${CSS.escape(issue.path[0] ?? '')}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    const note = document.createElement('span');
    note.className = 'field-error';
    note.id = `${input.name}-error`;
    note.textContent = issue.message;
    input.setAttribute('aria-describedby', note.id);
    input.insertAdjacentElement('afterend', note);
  }
}

for (const form of Array.from(document.querySelectorAll<HTMLFormElement>('form[data-procedure]'))) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"], button:not([type])');
    clearFieldErrors(form);
    if (button) button.disabled = true;
    try {
      const answer = await call<{ message?: string } | null>(form.dataset.procedure!, valuesOf(form));
      const then = form.dataset.then ?? 'message';
      if (then === 'redirect') window.location.assign(form.dataset.next ?? '/');
      else if (then === 'reload') window.location.reload();
      else {
        say(form, form.dataset.message ?? answer?.message ?? 'Done', 'ok');
        form.reset();
      }
    } catch (error) {
      const e = error instanceof HubError ? error : new HubError(String(error), 0, 'UNKNOWN', []);
      showFieldErrors(form, e);
      say(form, e.message);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** Buttons that call a procedure with a fixed input and then reload or go somewhere. */
for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-action]'))) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await call(button.dataset.action!, button.dataset.input ? JSON.parse(button.dataset.input) : undefined);
      if (button.dataset.next) window.location.assign(button.dataset.next);
      else window.location.reload();
    } catch (error) {
      say(button.closest('section') ?? document, error instanceof Error ? error.message : String(error));
      button.disabled = false;
    }
  });
}
