import { PpvPlayerElement } from './element';

export { type CheckoutRequest, type PlayerState, PpvPlayerElement } from './element';
export { formatPrice } from './price';

/** Registers `<ppv-player>` (importing the package does it; call this for another tag name). */
export function definePpvPlayer(tag = 'ppv-player'): void {
  if (!customElements.get(tag)) customElements.define(tag, class extends PpvPlayerElement {});
}

declare global {
  interface HTMLElementTagNameMap {
    'ppv-player': PpvPlayerElement;
  }
}

if (typeof customElements !== 'undefined') definePpvPlayer();
