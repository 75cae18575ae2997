export const styles = `
:host { display: block; position: relative; max-width: 100%; font: 15px/1.4 system-ui, sans-serif; --ppv-accent: #6d28d9; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.frame { position: relative; color: #f5f5f5; width: 100%; aspect-ratio: 16 / 9; background: #0b0b0f; overflow: hidden; border-radius: 8px; }
video, .poster { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; background: #000; }
.poster[hidden], video[hidden] { display: none; }
.panel { position: absolute; inset: 0; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: .6em; padding: 1em; text-align: center; background: rgb(0 0 0 / .62); overflow: auto; }
.panel[hidden] { display: none; }
.panel h2 { margin: 0; font-size: clamp(1em, 3.2vw, 1.4em); }
.panel p { margin: 0; max-width: 34em; }
.price { font-weight: 600; }
.price .local { opacity: .8; font-weight: 400; }
button { font: inherit; cursor: pointer; border: 0; border-radius: 6px; padding: .55em 1.1em; background: var(--ppv-accent); color: #fff; }
button.secondary { background: rgb(255 255 255 / .16); }
button:focus-visible, input:focus-visible { outline: 3px solid #fbbf24; outline-offset: 2px; }
.play { font-size: 1.25em; padding: .7em 1.6em; }
form { display: grid; gap: .45em; width: min(20em, 100%); text-align: left; }
label { display: grid; gap: .15em; font-size: .9em; }
input { font: inherit; padding: .45em .6em; border-radius: 6px; border: 1px solid #666; background: #111; color: #fff; }
.actions { display: flex; flex-wrap: wrap; gap: .5em; justify-content: center; }
.problem { color: #fecaca; }
.status:empty { display: none; }
.token { opacity: 0.8; }
.badge { position: absolute; top: .6em; left: .6em; padding: .15em .6em; border-radius: 999px; background: rgb(0 0 0 / .6); font-size: .85em; }
.badge[hidden] { display: none; }
.watermark { position: absolute; z-index: 5; pointer-events: none; user-select: none; padding: .1em .4em; font: 600 clamp(11px, 1.8vw, 16px)/1.2 ui-monospace, monospace; color: rgb(255 255 255 / .55); text-shadow: 0 0 3px rgb(0 0 0 / .8); white-space: nowrap; transition: left .8s, top .8s; }
.meta { padding: .5em .1em; }
.meta h1 { margin: 0; font-size: 1.15em; color: inherit; }
@media (max-width: 480px) { :host { font-size: 13px; } .panel { gap: .4em; padding: .5em; } }
`;
