/**
 * While a trace on the page is queued or running, the page reloads every three seconds to show its
 * verdict — unless a recording has been chosen in the form, which a reload would lose.
 */
const pending = document.querySelector('[data-trace-pending]');
const chosen = () =>
  (document.querySelector<HTMLInputElement>('input[name="recording"]')?.files?.length ?? 0) > 0;

if (pending) {
  const tick = () => {
    if (chosen()) {
      setTimeout(tick, 3000);
      return;
    }
    location.replace(location.pathname + location.search);
  };
  setTimeout(tick, 3000);
}
