// Plugins switched on or off while a console or widget is open.
//
// Every serving process watches the plugins' enabled state in the database and sends
// `plugins:changed` to its connections when it changes (host/plugin_watch.py), whoever
// changed it: the Plugins page, the API or the command line, in any process. The page
// then asks for the tabs and channels that are enabled now and follows them in place:
// no reload, and a tab that went away while open gives way to the Customer tab quietly.

import { fetchChannels } from "./channels.js";

/**
 * `channels` is the page's shared channel list (changed in place, so every view that
 * holds it sees the new one); `onChange()` runs after tabs and channels were updated.
 */
export function followPluginChanges({ socket, api, widget, channels, onChange = () => {} }) {
  let running = null;
  let again = false;

  async function refresh() {
    if (running) {
      again = true; // a second change while the first is fetched: fetch once more after
      return running;
    }
    running = (async () => {
      try {
        const [tabs] = await Promise.all([api("widget/tabs"), fetchChannels(api, channels)]);
        widget.setTabs(tabs);
        onChange();
      } catch (exc) {
        console.warn("Could not follow a plugin change; the next one (or a reload) will", exc);
      } finally {
        running = null;
        if (again) {
          again = false;
          refresh();
        }
      }
    })();
    return running;
  }

  socket?.on("plugins:changed", refresh);
  return { refresh };
}
