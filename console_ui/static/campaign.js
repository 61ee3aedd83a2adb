/* The campaign console (竞聘工作): posts, batches, applicants, review, ranking, outcomes, publicity.
 * Plain JS, no build step. Every call to the campaign API goes through ROUTES below. */
"use strict";

const CONFIG = JSON.parse(document.getElementById("campaign-config").textContent);
const STRINGS = CONFIG.strings || {};

/** The campaign API (DESIGN.md section 5, and its list routes). One place to adjust. */
const ROUTES = Object.assign({
  campaigns: "/api/campaigns",
  campaign: "/api/campaigns/{cid}",
  posts: "/api/campaigns/{cid}/posts",
  batches: "/api/campaigns/{cid}/batches",
  applicants: "/api/campaigns/{cid}/applicants",
  importApplicants: "/api/campaigns/{cid}/applicants/import",
  applications: "/api/batches/{bid}/applications",
  application: "/api/applications/{aid}",
  review: "/api/applications/{aid}/review",
  outcome: "/api/applications/{aid}/outcome",
  counts: "/api/batches/{bid}/counts",
  ranking: "/api/batches/{bid}/ranking",
  publicity: "/api/batches/{bid}/publicity",
  sessions: "/api/sessions",
  interviews: "/api/sessions/{sid}/interviews",
  draw: "/api/sessions/{sid}/draw",
  audit: "/api/campaigns/{cid}/audit.jsonl",
  record: "/api/campaigns/{cid}/records/{name}.{ext}",
  board: "/board/{token}",
}, CONFIG.routes || {});

function route(name, ids) {
  let path = ROUTES[name];
  for (const [k, v] of Object.entries(ids || {})) path = path.split("{" + k + "}").join(encodeURIComponent(String(v)));
  return path;
}

// T, h, $, items, api, ApiError, toast and the dialog helpers: common.js, loaded before this script.

/** A lapsed login (api() has said so): the console's login form. */
function afterExpiry() {
  location.href = "/console";
}

/** GET that answers null for a route the API does not have (yet), or a thing not made yet. */
async function maybe(path) {
  try { return await api("GET", path); } catch (err) {
    if (err.status === 404 || err.status === 405) return null;
    throw err;
  }
}

/* ---- state -------------------------------------------------------------------------------- */

const state = {
  campaigns: [],
  cid: null,
  campaign: null,
  bid: null,
  applicants: [],
  applications: [],
  counts: null,
  ranking: null,
  publicity: null,
  sessions: new Map(), // sitting id → title
  tab: "posts",
};

const SCOPE = { internal: "内部竞聘", public: "面向社会" };
const STATUS = { submitted: "待审查", approved: "审查通过", rejected: "审查未通过", withdrawn: "已撤回" };
const CHECKS = { education: "学历", retirement: "退休年龄", standing: "考核及处分", scope: "人员范围" };
const FAILS = {
  education: "学历低于大专",
  retirement: "距法定退休年龄不足一个聘期",
  standing: "考核、审查调查或处分期内，不得竞聘上一层级岗位",
  scope: "不在本批次人员范围内",
};
const EDUCATION = { doctorate: "博士研究生", master: "硕士研究生", bachelor: "大学本科", college: "大专", secondary: "中专、高中", none: "其他" };

function posts() { return items(state.campaign, "posts"); }
function batches() { return items(state.campaign, "batches"); }
function batch() { return batches().find((b) => b.id === state.bid) || null; }
function post(code) { return posts().find((p) => p.code === code) || null; }
function applicant(id) { return state.applicants.find((a) => a.id === id) || null; }
function postLabel(code) {
  const p = post(code);
  return p ? `${code} ${p.unit ? p.unit + " " : ""}${p.name}` : code;
}
function whoOf(app) {
  const a = applicant(app.applicant_id) || {};
  return app.name || app.applicant_name || a.name || "#" + app.applicant_id;
}
function masked(a) {
  const id = a.id_masked || a.masked_id || a.id_number || "";
  if (id.includes("*") || id.length < 9) return id;
  return id.slice(0, 4) + "*".repeat(id.length - 8) + id.slice(-4);
}
function outcomeOf(app, stage) {
  if (!app) return null;
  const o = app.outcomes;
  if (o && !Array.isArray(o) && o[stage]) return o[stage];
  if (Array.isArray(o)) { const f = o.filter((x) => x.stage === stage); if (f.length) return f[f.length - 1]; }
  if (app[stage] && typeof app[stage] === "object") return app[stage];
  if (typeof app[stage] === "string") return { result: app[stage] };
  return null;
}
function today() {
  // The plan's dates are Beijing dates.
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

/* ---- loading ------------------------------------------------------------------------------ */

async function loadCampaigns() {
  let list;
  try {
    list = await api("GET", route("campaigns"));
  } catch (err) {
    if (err.status === 404 || err.status === 405) {
      $("#api-missing").hidden = false;
      $("#new-campaign").hidden = true;
      $("#campaign-select").closest("label").hidden = true;
      return;
    }
    throw err;
  }
  state.campaigns = items(list, "campaigns", "items");
  const select = $("#campaign-select");
  select.replaceChildren(...state.campaigns.map((c) => h("option", { value: c.id }, c.title)));
  const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("c")) || null;
  const pick = state.campaigns.find((c) => c.id === wanted) || state.campaigns[state.campaigns.length - 1];
  select.closest("label").hidden = !state.campaigns.length;
  $("#no-campaign").hidden = Boolean(pick);
  $("#campaign-view").hidden = !pick;
  if (pick) await choose(pick.id);
}

async function choose(cid) {
  state.cid = cid;
  $("#campaign-select").value = String(cid);
  const params = new URLSearchParams(location.hash.slice(1));
  params.set("c", cid);
  history.replaceState(null, "", "#" + params.toString());
  await reload();
}

async function reload() {
  const cid = state.cid;
  state.campaign = await api("GET", route("campaign", { cid }));
  state.applicants = items(await maybe(route("applicants", { cid })), "applicants", "items");
  for (const x of items(await maybe(route("sessions")), "sessions", "items")) state.sessions.set(x.id, x.title);
  const list = batches();
  const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("b")) || state.bid;
  state.bid = (list.find((b) => b.id === wanted) || list[list.length - 1] || {}).id || null;
  await reloadBatch();
}

async function reloadBatch() {
  const bid = state.bid;
  if (bid) {
    const [apps, counts, ranking, publicity] = await Promise.all([
      maybe(route("applications", { bid })), maybe(route("counts", { bid })),
      maybe(route("ranking", { bid })),
      batch() && batch().publicity ? Promise.resolve(batch().publicity) : maybe(route("publicity", { bid })),
    ]);
    state.applications = items(apps, "applications", "items");
    state.counts = counts;
    state.ranking = ranking;
    state.publicity = publicity && publicity.published_on ? publicity : null;
  } else {
    state.applications = []; state.counts = null; state.ranking = null; state.publicity = null;
  }
  render();
}

/* ---- rendering ---------------------------------------------------------------------------- */

function render() {
  const c = state.campaign;
  $("#campaign-title").textContent = c.title;
  $("#campaign-meta").textContent = [
    `${T("方案公布日期")} ${c.announced_on}`, `${T("聘期")} ${c.term_years} ${T("年")}`,
    `${T("合格线")} ${c.pass_line}`,
  ].join(" · ");
  const bs = $("#batch-select");
  bs.replaceChildren(...batches().map((b) => h("option", { value: b.id }, `${b.name} · ${T(SCOPE[b.scope] || b.scope)}`)));
  if (state.bid) bs.value = String(state.bid);
  bs.disabled = !batches().length;
  renderPosts();
  renderApplicants();
  renderReview();
  renderRanking();
  renderOutcomes();
  renderPublicity();
  renderRecords();
  showTab(state.tab);
}

function showTab(name) {
  state.tab = name;
  for (const button of document.querySelectorAll(".steps [data-tab]")) {
    const on = button.dataset.tab === name;
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.classList.toggle("current", on);
  }
  for (const panel of document.querySelectorAll(".tab")) panel.hidden = panel.id !== "tab-" + name;
}

function cell(text, cls) { return h("td", { class: cls }, text); }

function renderPosts() {
  const list = posts();
  $("#posts-table tbody").replaceChildren(...(list.length ? list.map((p) => h("tr", {},
    cell(p.code), cell(p.unit || ""), cell(p.name), cell(p.level, "num"), cell(p.openings, "num"), cell(p.shortlist_ratio, "num"),
  )) : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, T("还没有岗位。")))]));
  $("#batch-posts").replaceChildren(...list.map((p) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "posts", value: p.code, checked: true }), ` ${p.code} ${p.name}`)));
  const bl = batches();
  $("#batches-list").replaceChildren(...(bl.length ? bl.map((b) => h("li", { class: b.id === state.bid ? "current" : "" },
    h("strong", {}, b.name), " ", h("span", { class: "badge s-scope" }, T(SCOPE[b.scope] || b.scope)), " ",
    h("span", { class: "muted small" }, T("{from} 至 {until}", { from: b.apply_from, until: b.apply_until }), " · ",
      T("可改报至 {date}", { date: b.change_until })),
    h("div", { class: "small" }, (b.posts || []).map((p) => typeof p === "string" ? p : p.code).join("、")),
  )) : [h("li", { class: "muted" }, T("还没有批次。"))]));
  const form = $("#batch-form");
  if (!form.apply_from.value) {
    form.apply_from.value = today();
    form.apply_until.value = today();
    form.change_until.value = today();
  }
  if (!form.name.value) form.name.placeholder = T("第 {n} 批", { n: bl.length + 1 });
}

function liveCount(code) {
  const counts = items(state.counts, "posts");
  const found = counts.find((p) => p.code === code);
  return found ? found.applicants : 0;
}

function renderApplicants() {
  const b = batch();
  $("#window-note").textContent = b ? `${T("报名时间")} ${T("{from} 至 {until}", { from: b.apply_from, until: b.apply_until })} · ${T("改报截止")} ${b.change_until}` : "";
  const counts = items(state.counts, "posts");
  $("#counts").replaceChildren(...counts.map((p) => h("li", {},
    h("span", { class: "code" }, p.code), h("span", { class: "name" }, p.name),
    h("span", { class: "n" }, T("{n} 人报名", { n: p.applicants })), h("span", { class: "muted small" }, T("名额 {n}", { n: p.openings })),
  )));
  const mine = new Map();
  for (const app of state.applications) {
    if (app.status === "withdrawn") continue;
    if (!mine.has(app.applicant_id)) mine.set(app.applicant_id, []);
    mine.get(app.applicant_id).push(app);
  }
  const rows = state.applicants.map((a) => {
    const apps = mine.get(a.id) || [];
    return h("tr", {},
      cell(a.name), cell(masked(a), "mono"), cell(a.retirement_date || ""),
      cell(T(EDUCATION[a.education] || a.education || "")), cell(a.current_level ?? ""),
      h("td", {}, apps.map((app) => h("span", { class: "chip" },
        h("button", { type: "button", class: "chip-code", title: T("改报"), "aria-label": `${T("改报")} ${app.post_code}`,
          onclick: (e) => openApply(a, e.currentTarget, app) }, app.post_code),
        h("button", { type: "button", class: "link", title: T("撤回"), "aria-label": `${T("撤回")} ${app.post_code}`, onclick: (e) => withdraw(app, e.currentTarget) }, "×")))),
      h("td", {}, b && apps.length < 2 ? h("button", { type: "button", class: "small", onclick: (e) => openApply(a, e.currentTarget) }, T("报名岗位")) : ""),
    );
  });
  $("#applicants-table tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, T("还没有报名人员。")))]));
}

function checksList(app) {
  const checks = app.checks || {};
  return Object.keys(CHECKS).map((k) => {
    const ok = checks[k];
    return h("li", { class: ok ? "check-ok" : "check-bad" },
      h("span", { class: "mark", "aria-hidden": "true" }, ok ? "✓" : "✗"), " ", T(CHECKS[k]), ok ? "" : `${CONFIG.lang === "en" ? ": " : "："}${T(FAILS[k])}`);
  });
}

function renderReview() {
  const apps = state.applications.filter((a) => a.status !== "withdrawn");
  const rows = apps.map((app) => {
    const checks = app.checks || {};
    const failed = Object.keys(CHECKS).filter((k) => checks[k] === false);
    return h("tr", { class: app.eligible ? "" : "ineligible" },
      cell(whoOf(app)), cell(postLabel(app.post_code)),
      h("td", {}, failed.length
        ? h("ul", { class: "plain fails" }, failed.map((k) => h("li", {}, h("span", { class: "mark bad" }, "✗ "), T(FAILS[k]))))
        : h("span", { class: "ok-line" }, "✓ ", T("符合"))),
      h("td", {}, h("span", { class: "badge st-" + app.status }, T(STATUS[app.status] || app.status)),
        app.review_reason ? h("div", { class: "small muted" }, app.review_reason) : ""),
      h("td", {}, h("button", { type: "button", class: "small", onclick: (e) => openReview(app, e.currentTarget) }, T("审查"))),
    );
  });
  $("#review-table tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, T("本批次还没有报名。")))]));
}

function rankingPosts() { return items(state.ranking, "positions", "posts"); }

function renderRanking() {
  // Posts without a scored interview yet have no table (the headers alone look like a bug).
  const blocks = rankingPosts().filter((p) => (p.ranking || []).length).map((p) => h("div", { class: "rank-post" },
    h("h4", {}, `${p.code} ${p.name}`, h("span", { class: "muted small" }, ` · ${T("名额 {n}", { n: p.openings })} · ${T("初步考察对象")} ${p.shortlist_size}`)),
    h("table", { class: "ranking" },
      h("thead", {}, h("tr", {}, ["名次", "抽签号", "姓名", "面试得分", "总成绩", "初步考察对象"].map((x) => h("th", { scope: "col" }, T(x))))),
      h("tbody", {}, (p.ranking || []).map((r) => h("tr", { class: r.shortlisted ? "shortlisted" : (r.eligible ? "" : "below") },
        cell(r.rank, "num"), cell(r.draw_no, "num"), cell(r.candidate_name), cell(r.interview, "num"), h("td", { class: "num strong" }, r.total),
        cell(r.shortlisted ? (r.tie_at_cutoff ? `✓ ${T("并列")}` : "✓") : (r.eligible ? "" : T("未达合格线"))),
      ))),
    )));
  $("#ranking").replaceChildren(...(blocks.length ? blocks : [h("p", { class: "muted" }, T("本批次还没有成绩。"))]));
  const form = $("#sitting-form");
  // Offered only when the server makes sittings of a batch (else a plain sitting would be made).
  $("#sittings-box").hidden = !(CONFIG.features && CONFIG.features.sittings);
  const b = batch();
  if (b && !form.title.value) form.title.value = `${b.name} · ${today()}`;
  renderSittings();
}

/** Approved applications of the batch that have no interview yet (the next draw's). */
function undrawn() { return state.applications.filter((a) => a.status === "approved" && !a.interview_id); }

function renderSittings() {
  const b = batch();
  const waiting = undrawn().length;
  const rows = ((b && b.sittings) || []).map((sid) => {
    const n = state.applications.filter((a) => a.session_id === sid && a.status !== "withdrawn").length;
    return h("li", { class: "row wrap" },
      h("a", { href: `/console#s=${sid}` }, `${T("场次")} #${sid} ${state.sessions.get(sid) || ""}`),
      h("span", { class: "muted small" }, T("共 {n} 人", { n })),
      waiting ? h("button", { type: "button", class: "secondary", "data-draw": sid, onclick: (e) => drawInto(sid, e.currentTarget) },
        T("为新通过的 {n} 人抽签", { n: waiting })) : null);
  });
  $("#sittings").replaceChildren(...rows);
  $("#sitting-hint").textContent = waiting
    ? T("{n} 名审查通过的报名尚未抽签：生成场次时由服务器随机抽签。", { n: waiting })
    : T("审查通过的报名都已抽签。");
  // Every draw of the batch, the newest sitting first, from the applications' recorded numbers:
  // they stay on the page after a reload and for every sitting, not only the last draw made here.
  const box = $("#draw-result");
  const sections = ((b && b.sittings) || []).slice().reverse().map((sid) => {
    const drawn = state.applications.filter((a) => a.session_id === sid && a.draw_no != null);
    if (!drawn.length) return null;
    const codes = [...new Set(drawn.map((a) => a.post_code))].sort();
    return h("section", { class: "draw-sitting", "data-session": sid },
      h("h4", {}, T("抽签结果"), h("span", { class: "muted small" }, ` · ${T("场次")} #${sid} ${state.sessions.get(sid) || ""}`)),
      h("div", { class: "row wrap draws" }, codes.map((code) => h("table", { class: "ranking draw" },
        h("caption", {}, postLabel(code)),
        h("thead", {}, h("tr", {}, ["抽签号", "姓名"].map((x) => h("th", { scope: "col" }, T(x))))),
        h("tbody", {}, drawn.filter((a) => a.post_code === code).sort((x, y) => x.draw_no - y.draw_no).map((a) =>
          h("tr", {}, cell(a.draw_no, "num"), h("td", {}, whoOf(a),
            a.status === "withdrawn" ? h("span", { class: "muted small" }, ` ${T("已撤回")}`) : null))))))));
  }).filter(Boolean);
  box.hidden = !sections.length;
  box.replaceChildren(...sections);
}

async function drawInto(sid, button) {
  button.disabled = true;
  try {
    const drawn = await api("POST", route("draw", { sid }));
    toast(T("已抽签 {n} 人。", { n: drawn.posts.reduce((k, p) => k + p.draw.length, 0) }));
    await reload();
  } catch (err) { toast(err.message, true); button.disabled = false; }
}

function renderOutcomes() {
  const apps = new Map(state.applications.map((a) => [a.id, a]));
  const rows = [];
  for (const p of rankingPosts()) {
    for (const r of p.ranking || []) {
      if (!r.shortlisted) continue;
      const app = apps.get(r.application_id);
      const inspection = outcomeOf(app, "inspection");
      const decision = outcomeOf(app, "decision");
      const btn = (stage, result, label, cls) => h("button", {
        type: "button", class: "small " + (cls || ""), "aria-pressed": ((stage === "inspection" ? inspection : decision) || {}).result === result ? "true" : "false",
        onclick: (e) => record(r.application_id, stage, result, e.currentTarget),
      }, T(label));
      rows.push(h("tr", {},
        cell(`${p.code} ${p.name}`), cell(r.rank, "num"), cell(r.candidate_name), cell(r.total, "num"),
        h("td", {}, btn("inspection", "pass", "考察通过"), " ", btn("inspection", "fail", "考察未通过")),
        h("td", {}, btn("decision", "appointed", "拟聘用", "primary-ish"), " ", btn("decision", "not_appointed", "不予聘用")),
      ));
    }
  }
  $("#outcomes").replaceChildren(rows.length ? h("table", { class: "outcomes" },
    h("thead", {}, h("tr", {}, ["岗位", "名次", "姓名", "总成绩", "考察结果", "研究决定"].map((x) => h("th", { scope: "col" }, T(x))))),
    h("tbody", {}, rows)) : h("p", { class: "muted" }, T("本批次还没有成绩。")));
}

function renderPublicity() {
  const pub = state.publicity;
  const view = $("#publicity-view");
  const form = $("#publicity-form");
  form.hidden = Boolean(pub) || !state.bid;
  if (!form.published_on.value && state.bid) form.published_on.value = firstPublicityDay(batch());
  if (!pub) { view.replaceChildren(); return; }
  view.replaceChildren(h("div", { class: "notice" },
    h("p", { class: "period" }, T("公示期"), "：", h("strong", { id: "published-on" }, pub.published_on), ` ${T("至")} `, h("strong", { id: "ends-on" }, pub.ends_on)),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, T("岗位")), h("th", {}, T("姓名")))),
      h("tbody", {}, (pub.appointees || []).length
        ? pub.appointees.map((a) => h("tr", {}, cell(postLabel(a.post_code)), cell(a.name)))
        : h("tr", {}, h("td", { colspan: 2, class: "muted" }, T("公示中没有拟聘用人员。"))))),
  ));
}

function firstPublicityDay(b) {
  // Today, unless the batch still takes applications or changes: then the day after it closes.
  const day = today();
  if (!b || !b.change_until || b.change_until < day) return day;
  const next = new Date(`${b.change_until}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

const RECORD_NAMES = [
  ["counts", "报名人数统计"], ["review", "资格审查结果"], ["scores", "成绩汇总"],
  ["inspection", "考察对象名单"], ["publicity", "拟聘用人员公示"],
];

function renderRecords() {
  const c = state.campaign;
  const token = c.board_token || (c.board && c.board.token);
  const url = c.board_url || (c.board && c.board.url) || (token ? location.origin + route("board", { token }) : null);
  $("#board-link").replaceChildren(...(url ? [
    token ? h("img", { src: route("board", { token }) + "/qr.svg", width: 96, height: 96, alt: "", class: "board-qr" }) : "",
    h("a", { href: url, target: "_blank", rel: "noopener", id: "board-url", class: "mono" }, url),
    h("button", { type: "button", class: "small", onclick: async (e) => {
      try { await navigator.clipboard.writeText(url); e.currentTarget.textContent = T("已复制"); } catch (err) { /* select it instead */ }
    } }, T("复制链接")),
  ] : [h("span", { class: "muted" }, "—")]));
  const batchQuery = state.bid ? `?batch=${state.bid}` : "";
  $("#records tbody").replaceChildren(...RECORD_NAMES.map(([name, title]) => h("tr", {},
    h("th", { scope: "row" }, T(title)),
    h("td", {}, h("a", { class: "button", download: "", href: route("record", { cid: c.id, name, ext: "xlsx" }) + batchQuery }, "XLSX"), " ",
      h("a", { class: "button", download: "", href: route("record", { cid: c.id, name, ext: "pdf" }) + batchQuery }, "PDF")),
  )));
  $("#audit-link").href = route("audit", { cid: c.id });
}

/* ---- actions ------------------------------------------------------------------------------ */

let applyTarget = null;
let changing = null;  // the application whose post is being changed (改报), or null for a new one
function openApply(a, opener, application) {
  applyTarget = a;
  changing = application || null;
  $("#apply-who").textContent = `${a.name}（${masked(a)}）`;
  $("#apply-dialog-title").textContent = changing ? `${T("改报")} · ${changing.post_code}` : T("报名岗位");
  $("#apply-form button[type=submit]").textContent = changing ? T("改报") : T("报名");
  const offered = (batch().posts || []).map((p) => typeof p === "string" ? p : p.code)
    .filter((code) => !changing || code !== changing.post_code);
  $("#apply-form").post_code.replaceChildren(...offered.map((code) => h("option", { value: code }, postLabel(code))));
  openDialog($("#apply-dialog"), opener);
}

function withdraw(app, opener) {
  confirmThen(opener, T("撤回"), `${whoOf(app)} · ${postLabel(app.post_code)}：${T("确定撤回这项报名吗？")}`,
    T("撤回"), async () => {
      await api("DELETE", route("application", { aid: app.id }));
      toast(T("已撤回报名。"));
      await reloadBatch();
    });
}

let reviewTarget = null;
function openReview(app, opener) {
  reviewTarget = app;
  $("#review-who").textContent = `${whoOf(app)} · ${postLabel(app.post_code)}`;
  $("#review-checks").replaceChildren(...checksList(app));
  const form = $("#review-form");
  form.reset();
  form.reason.value = app.review_reason || "";
  $("#review-help").textContent = app.eligible ? T("不通过审查时请写明原因。") : T("不符合资格条件时，通过审查必须写明理由。");
  openDialog($("#review-dialog"), opener);
}

async function record(aid, stage, result, button) {
  button.disabled = true;
  try {
    await api("POST", route("outcome", { aid }), { stage, result });
    toast(T("已记录。"));
    await reloadBatch();
  } catch (err) {
    toast(err.message, true);
    button.disabled = false;
  }
}

function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    if (el.type === "checkbox" && el.name !== "posts") out[el.name] = el.checked;
    else if (el.type === "radio") { if (el.checked) out[el.name] = el.value; }
    else if (el.name !== "posts") out[el.name] = el.value;
  }
  return out;
}

function wire() {
  wireDialogs();
  for (const b of document.querySelectorAll(".steps [data-tab]")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const id of ["#new-campaign", "#new-campaign-empty"]) {
    $(id).addEventListener("click", (e) => {
      const form = $("#campaign-form");
      if (!form.announced_on.value) form.announced_on.value = today();
      openDialog($("#campaign-dialog"), e.currentTarget);
    });
  }
  $("#campaign-select").addEventListener("change", (e) => choose(Number(e.target.value)).catch((err) => toast(err.message, true)));
  $("#batch-select").addEventListener("change", (e) => {
    state.bid = Number(e.target.value);
    const params = new URLSearchParams(location.hash.slice(1));
    params.set("b", state.bid);
    history.replaceState(null, "", "#" + params.toString());
    reloadBatch().catch((err) => toast(err.message, true));
  });

  onSubmit($("#campaign-form"), async (form) => {
    const v = formValues(form);
    return api("POST", route("campaigns"), { title: v.title, announced_on: v.announced_on, term_years: Number(v.term_years), pass_line: v.pass_line });
  }, async (created) => {
    toast(T("已创建竞聘工作。"));
    $("#no-campaign").hidden = true;
    $("#campaign-view").hidden = false;
    state.tab = "posts";
    const list = await api("GET", route("campaigns"));
    state.campaigns = items(list, "campaigns", "items");
    $("#campaign-select").replaceChildren(...state.campaigns.map((c) => h("option", { value: c.id }, c.title)));
    $("#campaign-select").closest("label").hidden = false;
    await choose(created.id);
  });

  onSubmit($("#post-form"), async (form) => {
    const v = formValues(form);
    return api("POST", route("posts", { cid: state.cid }), {
      code: v.code.trim(), name: v.name.trim(), unit: v.unit.trim(), level: Number(v.level),
      openings: Number(v.openings), shortlist_ratio: v.shortlist_ratio.trim(),
    });
  }, async (p) => {
    toast(T("已添加岗位 {code}。", { code: p.code }));
    const form = $("#post-form");
    form.code.value = ""; form.name.value = "";
    form.code.focus();
    await reload();
  });

  onSubmit($("#batch-form"), async (form) => {
    const v = formValues(form);
    const chosen = [...form.querySelectorAll("input[name=posts]:checked")].map((el) => el.value);
    return api("POST", route("batches", { cid: state.cid }), {
      name: v.name.trim() || form.name.placeholder, scope: v.scope, apply_from: v.apply_from,
      apply_until: v.apply_until, change_until: v.change_until, posts: chosen,
    });
  }, async (b) => {
    toast(T("已创建批次。"));
    $("#batch-form").name.value = "";
    state.bid = b.id;
    const params = new URLSearchParams(location.hash.slice(1));
    params.set("b", b.id);
    history.replaceState(null, "", "#" + params.toString());
    await reload();
  });

  onSubmit($("#applicant-form"), async (form) => {
    const v = formValues(form);
    const body = {
      name: v.name.trim(), id_number: v.id_number.trim(), sex: v.sex, birth_date: v.birth_date,
      education: v.education, employment: v.employment, current_level: Number(v.current_level),
      appraisal: v.appraisal || null, under_investigation: v.under_investigation,
      discipline_until: v.discipline_until || null, leadership: v.leadership,
    };
    if (v.retirement_base) body.retirement_base = Number(v.retirement_base);
    return api("POST", route("applicants", { cid: state.cid }), body);
  }, async () => {
    toast(T("已添加报名人员。"));
    const form = $("#applicant-form");
    form.name.value = ""; form.id_number.value = "";
    form.name.focus();
    await reload();
  });

  $("#import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const out = $("#import-result");
    out.replaceChildren();
    if (!form.file.files.length) { out.append(h("p", { class: "error" }, T("请选择要导入的文件。"))); return; }
    const data = new FormData();
    data.append("file", form.file.files[0]);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const result = await api("POST", route("importApplicants", { cid: state.cid }), data);
      out.append(h("p", { class: "ok" }, T("已导入 {n} 名报名人员。", { n: result.imported })));
      form.reset();
      await reload();
    } catch (err) {
      const lines = (err.body && err.body.errors) || [];
      if (lines.length && lines[0].line !== undefined) {
        out.append(h("p", { class: "error" }, T("报名表有误，未导入任何一行：")),
          h("ol", { class: "errors" }, lines.map((e) => h("li", {}, T("第 {line} 行：{message}", e)))));
      } else out.append(h("p", { class: "error" }, err.message));
    } finally { button.disabled = false; }
  });

  onSubmit($("#apply-form"), async (form) => (changing
    ? api("PUT", route("application", { aid: changing.id }), { post_code: form.post_code.value })
    : api("POST", route("applications", { bid: state.bid }), { applicant_id: applyTarget.id, post_code: form.post_code.value })),
  async () => { toast(T(changing ? "已改报。" : "已报名。")); await reloadBatch(); });

  wireConfirm();

  onSubmit($("#review-form"), async (form) => {
    const v = formValues(form);
    const body = { decision: v.decision };
    if (v.reason.trim()) body.reason = v.reason.trim();
    return api("POST", route("review", { aid: reviewTarget.id }), body);
  }, async () => { toast(T("已审查。")); await reloadBatch(); });

  onSubmit($("#sitting-form"), async (form) => {
    const v = formValues(form);
    const sitting = await api("POST", route("sessions"), {
      title: v.title.trim(), judge_count: Number(v.judge_count), min_scores: Number(v.min_scores), batch_id: state.bid,
    });
    state.sessions.set(sitting.id, sitting.title);
    // The server draws the order (and records the draw in the campaign's audit log).
    if (undrawn().length) await api("POST", route("draw", { sid: sitting.id }));
    return sitting;
  }, async () => {
    toast(T("已生成面试场次。"));
    $("#sitting-form").title.value = "";
    await reload();
  });

  // A batch is published once (a second notice is refused), so the first click only says who
  // will be on the notice; the second publishes.
  const pubForm = $("#publicity-form");
  const pubButton = pubForm.querySelector("button[type=submit]");
  const resetPublish = () => { delete pubForm.dataset.confirm; pubButton.textContent = T("发布公示"); $("#publicity-confirm").textContent = ""; };
  pubForm.addEventListener("input", resetPublish);
  onSubmit(pubForm, async (form) => {
    if (!form.dataset.confirm) {
      const appointed = state.applications.filter((a) => (outcomeOf(a, "decision") || {}).result === "appointed");
      $("#publicity-confirm").textContent = appointed.length
        ? T("将公示 {n} 名拟聘用人员：{names}。每个批次只能发布一次公示。", { n: appointed.length, names: appointed.map(whoOf).join("、") })
        : T("本批次还没有确定拟聘用人选：现在发布，公示中没有人员。每个批次只能发布一次公示。");
      form.dataset.confirm = "1";
      pubButton.textContent = T("确认发布");
      return null;
    }
    const v = formValues(form);
    const body = { published_on: v.published_on };
    if (v.ends_on) body.ends_on = v.ends_on;
    return api("POST", route("publicity", { bid: state.bid }), body);
  }, async (pub) => {
    if (!pub) return;
    resetPublish();
    toast(T("已发布公示。"));
    state.publicity = pub;
    await reload();
  });
}

wire();
loadCampaigns().catch((err) => toast(err.message, true));
