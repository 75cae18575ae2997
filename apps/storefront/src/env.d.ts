/// <reference types="astro/client" />

type StorefrontLocals = import('@ppv/hub').StorefrontLocals;

declare namespace App {
  interface Locals extends StorefrontLocals {}
}
