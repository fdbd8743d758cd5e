// The JSON the server embeds in the page (host/console.py: bootstrap()).

/** From this page, or from another document (e.g. the console page fetched again). */
export function readBootstrap(id = "bootstrap", doc = document) {
  const el = doc.getElementById(id);
  const empty = { agent: null, isAdmin: false, csrfToken: "", tabs: [], channels: [], channelCatalogue: [], plugins: [] };
  if (!el) return empty;
  try {
    return { ...empty, ...JSON.parse(el.textContent || "{}") };
  } catch (exc) {
    console.error("The page's bootstrap data is not valid JSON", exc);
    return empty;
  }
}
