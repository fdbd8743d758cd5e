// The profile page: until the agent has chosen a time zone, offer the browser's own.
const select = document.querySelector('select[name="time_zone"][data-browser-zone="fill"]');
if (select) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const options = [...select.options];
  // The browser may name a zone by an older alias than the list (Chromium says
  // Asia/Calcutta for Asia/Kolkata): then take the option the browser resolves to the same zone.
  const sameZone = (option) => {
    try {
      return new Intl.DateTimeFormat("en", { timeZone: option.value }).resolvedOptions().timeZone === zone;
    } catch {
      return false;
    }
  };
  const found = options.find((option) => option.value === zone) || (zone && options.find(sameZone));
  if (found) select.value = found.value;
}
