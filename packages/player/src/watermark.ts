/**
 * The visible moving watermark: the viewer's handle and the session's code over the picture, at a
 * new random place every few seconds. Drawn again when something removes or hides it; when it
 * cannot be drawn, `onLost` is called (the player pauses).
 */
export class Watermark {
  private node: HTMLElement | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private observer: MutationObserver | undefined;
  private text = '';

  constructor(
    private readonly container: HTMLElement,
    private readonly options: { intervalMs: number; onLost(): void },
  ) {}

  show(handle: string, code: string): void {
    this.text = `${handle} · ${code}`;
    this.draw();
    this.observer ??= new MutationObserver(() => this.check());
    this.observer.observe(this.container, {
      childList: true,
      subtree: true,
      attributes: true,
      characterData: true,
    });
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.move();
      this.check();
    }, this.options.intervalMs);
  }

  hide(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
    this.node?.remove();
    this.node = null;
  }

  private draw(): void {
    this.observer?.disconnect();
    this.node?.remove();
    const node = document.createElement('div');
    node.className = 'watermark';
    node.setAttribute('part', 'watermark');
    node.setAttribute('aria-hidden', 'true');
    node.textContent = this.text;
    this.container.append(node);
    this.node = node;
    this.move();
    this.observer?.observe(this.container, {
      childList: true,
      subtree: true,
      attributes: true,
      characterData: true,
    });
  }

  private move(): void {
    if (!this.node) return;
    this.node.style.left = `${(Math.random() * 70).toFixed(1)}%`;
    this.node.style.top = `${(Math.random() * 80).toFixed(1)}%`;
  }

  /** Is it on screen, as drawn? */
  visible(): boolean {
    const node = this.node;
    if (!node?.isConnected || node.parentElement !== this.container || node.textContent !== this.text)
      return false;
    const style = getComputedStyle(node);
    return style.display !== 'none' && style.visibility !== 'hidden' && Number(style.opacity) > 0.2;
  }

  private check(): void {
    if (!this.timer || this.visible()) return;
    this.draw();
    if (this.visible()) return;
    // Something keeps it off screen: stop fighting it (each redraw is a mutation) and report.
    clearInterval(this.timer);
    this.timer = undefined;
    this.observer?.disconnect();
    this.options.onLost();
  }
}
