// The LiveChat pages outside the widget (the Agent App bridge and its sign-in page) are not
// plugin tabs, so they get no ctx.t: the server puts the plugin's catalog, in the agent's
// language (else the browser's), into the page's config, and `pageTranslator` formats it the
// way the host formats its own (ICU MessageFormat through intl-messageformat).
import { IntlMessageFormat } from "intl-messageformat";

/** `t(key, values)` over `config.messages` in `config.language`; an unknown key shows itself. */
export function pageTranslator({ language = "en", messages = {} } = {}) {
  const formats = new Map();
  return (key, values) => {
    let formatter = formats.get(key);
    if (formatter === undefined) {
      const source = messages[key];
      formatter = typeof source === "string" ? new IntlMessageFormat(source, language) : null;
      formats.set(key, formatter);
    }
    return formatter === null ? key : String(formatter.format(values));
  };
}
