// The host's helpers for the Twilio tabs, handed over in the tab's ctx (ctx.dom): the
// tab bundles import nothing from the host, so they can be served prebuilt. mount() and
// background() call useHost(ctx) first; the modules here read the live bindings after.
export let h;
export let replace;

export function useHost(ctx) {
  ({ h, replace } = ctx.dom);
}
