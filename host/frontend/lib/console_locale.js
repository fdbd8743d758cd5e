// The console in another language or zone, drawn again in place when the agent chooses one
// (profile page, another tab): a reload would drop the reply being typed, the scroll
// positions and the search, and hang up a call that rings or runs.
import { notificationButton } from "./alerts.js";
import { readBootstrap } from "./bootstrap.js";
import { fetchChannels } from "./channels.js";
import { followPreferences, t } from "./i18n.js";

/**
 * The page around the console as the server now renders it: the top bar's links and the
 * page title speak the new language. Returns {title, boot} (boot: the page's bootstrap,
 * whose channel names are in the new language too), or null when the page could not be
 * read (the console itself has switched anyway).
 */
export async function refreshPageChrome() {
  try {
    const response = await fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return null;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    if (!page.getElementById("console")) return null; // e.g. the sign-in page: signed out meanwhile
    const fresh = page.querySelector("header.topbar");
    const current = document.querySelector("header.topbar");
    if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    return { title: page.title, boot: readBootstrap("bootstrap", page) };
  } catch {
    return null;
  }
}

/**
 * Follow the agent's language and zone. `parts` are the console's pieces as startConsole
 * built them ({listTitle, indicator, shortcutsButton, notifyButton, details, detailsBack,
 * liveBar, list, search, chatView, widget, channels}); `render()` draws the lists again and
 * `setIdleTitle(title)` gives the tab its title when nothing is unread; `rereadReasons()` reads
 * the open transcript again when a failure's reason (worded by the server) is shown or may be.
 */
export function followConsoleLocale({ socket, api, parts, render, setIdleTitle, rereadReasons }) {
  let notifyButton = parts.notifyButton;
  followPreferences({ socket, api, redraw: async () => {
    parts.listTitle.textContent = t("console.inbox");
    parts.indicator.set(parts.indicator.dataset.state);
    parts.shortcutsButton.textContent = t("console.shortcuts");
    const freshNotify = notificationButton();
    notifyButton.replaceWith(freshNotify);
    notifyButton = freshNotify;
    parts.details.setAttribute("aria-label", t("console.details"));
    parts.detailsBack.querySelector(".pane-back").textContent = t("console.backToChat");
    parts.liveBar.setAttribute("aria-label", t("console.callBar"));
    parts.list.relabel();
    parts.search.relabel();
    parts.chatView.relabel();
    render();
    // Why a message failed is the server's sentence: read again, in the new language.
    rereadReasons?.();
    // Channel names (and a channel's reason it can't take text) as the server says them now,
    // those of channels switched off or not set up too: older chats on them are still shown.
    const [page, named] = await Promise.all([refreshPageChrome(), fetchChannels(api, parts.channels).then(
      () => true, (exc) => console.warn("Could not fetch the channels' names in the new language", exc))]);
    if (page?.title) setIdleTitle(page.title);
    if (named) {
      parts.search.showChannels();
      parts.chatView.relabel();
      render();
    }
    // The details' tabs mount again once, with the channels named in the new language.
    parts.widget.relabel();
  } });
}
