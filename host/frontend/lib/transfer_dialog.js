// "Transfer" : pick an agent or a group, then POST /chats/<id>/transfer.
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

/**
 * Open the dialog for `chat`. `api` is the REST client; `me` the signed-in agent.
 * Resolves with the updated chat, or null when cancelled.
 */
export function openTransferDialog({ chat, api, me }) {
  return new Promise((resolve) => {
    const agentSelect = h("select", { name: "agent_id", "aria-label": t("transfer.agent") }, h("option", { value: "" }, t("transfer.loadingAgents")));
    const groupSelect = h("select", { name: "group_id", "aria-label": t("transfer.group") }, h("option", { value: "" }, t("transfer.loadingGroups")));
    const error = h("p.error", { role: "alert", hidden: true });
    const submit = h("button.primary", { type: "submit", disabled: true }, t("transfer.submit"));
    const cancel = h("button.button", { type: "button" }, t("transfer.cancel"));
    const form = h("form.transfer-form", { method: "dialog" },
      h("h2", t("transfer.title")),
      h("p.muted", t("transfer.intro")),
      h("label.field", h("span", t("transfer.toAgent")), agentSelect),
      h("div.or", h("span", "or")),
      h("label.field", h("span", t("transfer.toGroup")), groupSelect),
      error,
      h("div.dialog-actions", cancel, submit));
    const dialog = h("dialog.modal.transfer-dialog", { "aria-label": t("transfer.title") }, form);
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
      replace(agentSelect, h("option", { value: "" }, others.length ? t("transfer.chooseAgent") : t("transfer.noAgents")),
        others.map((a) => h("option", { value: a.id }, t("transfer.agentOption", {
          name: a.name || a.email, you: a.id === me.id ? "yes" : "no", online: a.online ? "yes" : "no" }))));
      replace(groupSelect, h("option", { value: "" }, groups.length ? t("transfer.chooseGroup") : t("transfer.noGroups")),
        groups.map((g) => h("option", { value: g.id }, g.id === chat.group_id ? t("transfer.currentGroup", { name: g.name }) : g.name)));
      refresh();
      agentSelect.focus();
    }).catch((exc) => {
      error.textContent = exc.message;
      error.hidden = false;
    });
  });
}
