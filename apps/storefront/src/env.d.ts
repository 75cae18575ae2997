/// <reference types="astro/client" />

declare namespace App {
  interface Locals extends import('@ppv/hub').StorefrontLocals {}
}
