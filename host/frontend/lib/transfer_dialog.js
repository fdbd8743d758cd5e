// "Transfer" : pick an agent or a group, then POST /chats/<id>/transfer.
import { h, replace } from "./dom.js";

/**
 * Open the dialog for `chat`. `api` is the REST client; `me` the signed-in agent.
 * Resolves with the updated chat, or null when cancelled.
 */
export function openTransferDialog({ chat, api, me }) {
  return new Promise((resolve) => {
    const agentSelect = h("select", { name: "agent_id", "aria-label": "Agent" }, h("option", { value: "" }, "Loading agents…"));
    const groupSelect = h("select", { name: "group_id", "aria-label": "Group" }, h("option", { value: "" }, "Loading groups…"));
    const error = h("p.error", { role: "alert", hidden: true });
    const submit = h("button.primary", { type: "submit", disabled: true }, "Transfer");
    const cancel = h("button.button", { type: "button" }, "Cancel");
    const form = h("form.transfer-form", { method: "dialog" },
      h("h2", "Transfer chat"),
      h("p.muted", "Hand this conversation to a colleague, or put it back in a group's queue."),
      h("label.field", h("span", "To an agent"), agentSelect),
      h("div.or", h("span", "or")),
      h("label.field", h("span", "To a group's queue"), groupSelect),
      error,
      h("div.dialog-actions", cancel, submit));
    const dialog = h("dialog.modal.transfer-dialog", { "aria-label": "Transfer chat" }, form);
    document.body.append(dialog);

    let result = null;
    const finish = () => {
      dialog.remove();
      resolve(result);
    };
    dialog.addEventListener("close", finish);
    cancel.addEventListener("click", () => dialog.close());

    const refresh = () => {
      submit.disabled = !agentSelect.value && !groupSelect.value;
    };
    agentSelect.addEventListener("change", () => {
      if (agentSelect.value) groupSelect.value = "";
      refresh();
    });
    groupSelect.addEventListener("change", () => {
      if (groupSelect.value) agentSelect.value = "";
      refresh();
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.hidden = true;
      const json = agentSelect.value ? { agent_id: Number(agentSelect.value) } : { group_id: Number(groupSelect.value) };
      try {
        result = await api(`chats/${chat.id}/transfer`, { method: "POST", json });
        dialog.close();
      } catch (exc) {
        error.textContent = exc.message;
        error.hidden = false;
        refresh();
      }
    });

    dialog.showModal();
    Promise.all([api("agents"), api("groups")]).then(([agents, groups]) => {
      const others = agents.filter((a) => a.active !== false && a.id !== chat.agent_id);
      replace(agentSelect, h("option", { value: "" }, others.length ? "Choose an agent…" : "No other agents"),
        others.map((a) => h("option", { value: a.id }, `${a.name || a.email}${a.id === me.id ? " (you)" : ""}${a.online ? " · online" : ""}`)));
      replace(groupSelect, h("option", { value: "" }, groups.length ? "Choose a group…" : "No groups yet"),
        groups.map((g) => h("option", { value: g.id }, `${g.name}${g.id === chat.group_id ? " (current)" : ""}`)));
      refresh();
      agentSelect.focus();
    }).catch((exc) => {
      error.textContent = exc.message;
      error.hidden = false;
    });
  });
}
