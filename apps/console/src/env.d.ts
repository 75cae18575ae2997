/// <reference types="astro/client" />

type ConsoleLocals = import('./lib/hub').ConsoleLocals;

declare namespace App {
  interface Locals extends ConsoleLocals {}
}
