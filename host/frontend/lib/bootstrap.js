// The JSON the server embeds in the page (host/console.py: bootstrap()).

export function readBootstrap(id = "bootstrap") {
  const el = document.getElementById(id);
  const empty = { agent: null, isAdmin: false, csrfToken: "", tabs: [], channels: [], channelCatalogue: [], plugins: [] };
  if (!el) return empty;
  try {
    return { ...empty, ...JSON.parse(el.textContent || "{}") };
  } catch (exc) {
    console.error("The page's bootstrap data is not valid JSON", exc);
    return empty;
  }
}
