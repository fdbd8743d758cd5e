// The profile page: until the agent has chosen a time zone, offer the browser's own.
const select = document.querySelector('select[name="time_zone"][data-browser-zone="fill"]');
if (select) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && [...select.options].some((option) => option.value === zone)) select.value = zone;
}
