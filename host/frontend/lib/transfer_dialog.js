// "Transfer" : pick an agent or a group, then POST /chats/<id>/transfer.
import { h, replace } from "./dom.js";
import { onLocaleChange, t } from "./i18n.js";

/**
 * Open the dialog for `chat`. `api` is the REST client; `me` the signed-in agent.
 * Resolves with the updated chat, or null when cancelled.
 */
export function openTransferDialog({ chat, api, me }) {
  return new Promise((resolve) => {
    const agentSelect = h("select", { name: "agent_id" }, h("option", { value: "" }));
    const groupSelect = h("select", { name: "group_id" }, h("option", { value: "" }));
    const error = h("p.error", { role: "alert", hidden: true });
    const submit = h("button.primary", { type: "submit", disabled: true });
    const cancel = h("button.button", { type: "button" });
    const title = h("h2");
    const intro = h("p.muted");
    const toAgent = h("span");
    const or = h("span");
    const toGroup = h("span");
    const form = h("form.transfer-form", { method: "dialog" }, title, intro, h("label.field", toAgent, agentSelect),
      h("div.or", or), h("label.field", toGroup, groupSelect), error, h("div.dialog-actions", cancel, submit));
    const dialog = h("dialog.modal.transfer-dialog", form);
    let loaded = null; // {others, groups} once the agents and groups have come

    /** The agents and groups to choose from, in the current language; the choice stays. */
    function showOptions() {
      if (!loaded) {
        agentSelect.options[0].textContent = t("transfer.loadingAgents");
        groupSelect.options[0].textContent = t("transfer.loadingGroups");
        return;
      }
      const { others, groups } = loaded;
      const chosen = [agentSelect.value, groupSelect.value];
      replace(agentSelect, h("option", { value: "" }, others.length ? t("transfer.chooseAgent") : t("transfer.noAgents")),
        others.map((a) => h("option", { value: a.id }, t("transfer.agentOption", {
          name: a.name || a.email, you: a.id === me.id ? "yes" : "no", online: a.online ? "yes" : "no" }))));
      replace(groupSelect, h("option", { value: "" }, groups.length ? t("transfer.chooseGroup") : t("transfer.noGroups")),
        groups.map((g) => h("option", { value: g.id }, g.id === chat.group_id ? t("transfer.currentGroup", { name: g.name }) : g.name)));
      [agentSelect.value, groupSelect.value] = chosen;
    }

    // Drawn again in place when the agent picks another language while it is open.
    function words() {
      dialog.setAttribute("aria-label", t("transfer.title"));
      title.textContent = t("transfer.title");
      intro.textContent = t("transfer.intro");
      toAgent.textContent = t("transfer.toAgent");
      or.textContent = t("transfer.or");
      toGroup.textContent = t("transfer.toGroup");
      agentSelect.setAttribute("aria-label", t("transfer.agent"));
      groupSelect.setAttribute("aria-label", t("transfer.group"));
      submit.textContent = t("transfer.submit");
      cancel.textContent = t("transfer.cancel");
      showOptions();
    }
    words();
    const stopFollowing = onLocaleChange(words);
    document.body.append(dialog);

    let result = null;
    const finish = () => {
      stopFollowing();
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
      loaded = { others: agents.filter((a) => a.active !== false && a.id !== chat.agent_id), groups };
      showOptions();
      refresh();
      agentSelect.focus();
    }).catch((exc) => {
      error.textContent = exc.message;
      error.hidden = false;
    });
  });
}
