// Admin settings forms: add and remove rows of list, table and weekly-hours widgets.
//
// The server renders every widget (see host/templates/admin/_widgets.html) with one empty
// row, so the form works without this script; it only adds "+ Add" and "Remove" without a
// round trip. A widget is an element with data-rows holding .row-items, a <template
// data-row-template> with one empty row and a [data-add-row] button.

function rowFrom(template) {
  const content = template.content.cloneNode(true);
  // A table row is kept inside <table><tbody> in the template so the parser leaves it alone.
  return content.querySelector("tr[data-row]") || content.querySelector("[data-row]");
}

function markEmpty(widget) {
  const items = widget.querySelector(":scope .row-items");
  if (items) widget.toggleAttribute("data-empty", !items.querySelector("[data-row]"));
}

function addRow(widget) {
  const template = widget.querySelector(":scope > template[data-row-template]");
  const items = widget.querySelector(":scope .row-items");
  if (!template || !items) return;
  const row = rowFrom(template);
  items.appendChild(row);
  markEmpty(widget);
  row.querySelector("input, select")?.focus();
}

document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-add-row]");
  if (add) {
    event.preventDefault();
    addRow(add.closest("[data-rows]"));
    return;
  }
  const remove = event.target.closest("[data-remove-row]");
  if (remove) {
    event.preventDefault();
    const widget = remove.closest("[data-rows]");
    remove.closest("[data-row]").remove();
    if (widget) markEmpty(widget);
  }
});

for (const widget of document.querySelectorAll("[data-rows]")) markEmpty(widget);
