// The host's helpers for the Twilio tabs, handed over in the tab's ctx (ctx.dom): the
// tab bundles import nothing from the host, so they can be served prebuilt. mount() and
// background() call useHost(ctx) first; the modules here read the live bindings after.
export let h;
export let replace;
// The Twilio plugin's messages (messages/<language>.json) and the agent's time formats.
export let t;
export let time;

export function useHost(ctx) {
  ({ h, replace } = ctx.dom);
  ({ t, time } = ctx);
}
