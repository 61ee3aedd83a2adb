/* Helpers every console page shares (console.js, campaign.js, board.js). Plain JS, no build step.
 *
 * Loaded before the page's own script, which declares what these read when called:
 * CONFIG (the page's JSON config, with `lang`) and STRINGS (its translated strings); a page that
 * calls api() also declares afterExpiry(path), what a 401 does once the toast is shown.
 * The strings used here ("操作失败", "网络错误，请重试。", "已登录失效，请重新登录。") must be in
 * the string table of every page that calls api() (server/api/console.py, campaign_pages.py). */
"use strict";

/** The page's string ``id`` in its language, with each {name} replaced by ``vars[name]``. */
function T(id, vars) {
  let text = STRINGS[id] || id;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.split("{" + k + "}").join(String(v));
  return text;
}

/** Build an element: h("td", {class: "x"}, "text", child, ...). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const $ = (sel, root) => (root || document).querySelector(sel);

/** A list answer, or the list inside an object answer. */
function items(value, ...keys) {
  if (Array.isArray(value)) return value;
  for (const k of keys) if (value && Array.isArray(value[k])) return value[k];
  return [];
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || T("操作失败"));
    this.status = status;
    this.body = body || {};
  }
}

/** Call the API; answer its JSON, or throw an ApiError with the message the secretary reads. */
async function api(method, path, body) {
  const init = { method, headers: { "Accept-Language": CONFIG.lang === "en" ? "en" : "zh-CN" }, credentials: "same-origin" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { detail: T("网络错误，请重试。") });
  }
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  // The login form's own 401 is a wrong password, not a lapsed login.
  if (response.status === 401 && path !== "/api/login") {
    toast(T("已登录失效，请重新登录。"), true);
    setTimeout(() => afterExpiry(path), 1200);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let toastTimer = null;
function toast(message, isError) {
  const el = $("#toast");
  if (!el) return;
  el.textContent = message;
  el.className = "toast show" + (isError ? " error" : "");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = "toast"; }, isError ? 6000 : 3000);
}

/* ---- dialogs: a modal <dialog> traps focus; it goes back to its opener on close ------------ */

function openDialog(dialog, opener) {
  const error = dialog.querySelector(".error");
  if (error) error.textContent = "";
  dialog._opener = opener || document.activeElement;
  dialog.showModal();
  const first = dialog.querySelector("input:not([type=hidden]):not([type=radio]), select, textarea, button[type=submit]");
  if (first) first.focus();
}

function closeDialog(dialog) {
  if (dialog.open) dialog.close();
}

/** Every dialog closes on its [data-close] buttons and hands focus back to its opener, or, when
 * that is gone or disabled, to ``elsewhere()`` if given. */
function wireDialogs(elsewhere) {
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      const opener = dialog._opener;
      dialog._opener = null;
      if (opener && document.contains(opener) && !opener.disabled) opener.focus();
      else if (elsewhere) elsewhere();
    });
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => closeDialog(dialog));
    }
  }
}

/** Run ``action(form)`` on submit; show its error inside the form (else as a toast); close the
 * form's dialog and call ``after(result)`` on success. */
function onSubmit(form, action, after) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".error");
    const button = form.querySelector("button[type=submit]");
    if (error) error.textContent = "";
    button.disabled = true;
    try {
      const result = await action(form);
      const dialog = form.closest("dialog");
      if (dialog) closeDialog(dialog);
      if (after) after(result);
    } catch (err) {
      if (error) error.textContent = err.message; else toast(err.message, true);
    } finally {
      button.disabled = false;
    }
  });
}

/** Submit a dialog's form with ``action``: see onSubmit. */
function dialogSubmit(dialog, action) {
  onSubmit(dialog.querySelector("form"), action);
}

/* ---- the confirm dialog (templates/_confirm_dialog.html) ------------------------------------ */

let confirmedAction = null;

/** Ask before something that cannot be taken back; run ``action`` on confirm, its error shown
 * inside the dialog. */
function confirmThen(opener, title, text, button, action) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-go").textContent = button;
  confirmedAction = action;
  openDialog(dialog, opener);
  dialog.querySelector("[data-close]").focus();  // the safe choice first
}

function wireConfirm() {
  dialogSubmit($("#confirm-dialog"), async () => { if (confirmedAction) await confirmedAction(); });
}
