// The host's helpers for the contacts tabs, handed over in the tab's ctx (ctx.dom): the
// tab bundles import nothing from the host, so they can be served prebuilt. mount() and
// background() call useHost(ctx) first; the modules here read the live bindings after.
export let h;
export let replace;
export let initials;
// The contacts plugin's messages (messages/<language>.json) and the agent's time formats.
export let t;
export let time;

export function useHost(ctx) {
  ({ h, replace, initials } = ctx.dom);
  ({ t, time } = ctx);
}

/** The avatar colour (1–7) of a contact or chat id, as the host's avatars take it. */
export function hue(id) {
  return String((Number(id) % 7) + 1);
}
