/* The public notice board (公告栏): read-only, polls /api/board/{token} every CONFIG.poll seconds.
 * Shows only what the plan publishes: posts and counts, qualified names with masked IDs, scores,
 * the inspection list and the publicity notice. */
"use strict";

const CONFIG = JSON.parse(document.getElementById("board-config").textContent);
const STRINGS = CONFIG.strings || {};
const API = "/api/board/" + encodeURIComponent(CONFIG.token);

// T, h and items: common.js, loaded before this script.

const SCOPE = { internal: "内部竞聘", public: "面向社会" };

/** The campaign's posts (code, name, unit, openings), from the board's top level. */
let POSTS = [];

function postName(code) {
  const p = POSTS.find((x) => x.code === code);
  return p ? `${p.unit ? p.unit + " " : ""}${p.name}` : "";
}

function card(title, cls, ...body) {
  return h("section", { class: "card " + (cls || "") }, h("h2", {}, T(title)), ...body);
}

/** A table; a heading written "#名次" is a number column (right-aligned like its cells). */
function table(head, rows, cls) {
  return h("table", { class: cls || "" },
    h("thead", {}, h("tr", {}, head.map((x) => x.startsWith("#")
      ? h("th", { scope: "col", class: "num" }, T(x.slice(1))) : h("th", { scope: "col" }, T(x))))),
    h("tbody", {}, rows));
}

function renderBatch(b) {
  const open = b.window_open ?? b.open ?? false;
  // While applications are open the board shows each post's live count; after, the posts of the
  // batch as its scores name them, else the campaign's posts.
  const counted = items(b, "counts");
  const scoredCodes = items(b, "scores").map((p) => p.code);
  const posts = counted.length ? counted
    : (scoredCodes.length ? POSTS.filter((p) => scoredCodes.includes(p.code)) : POSTS);
  const sections = [];
  sections.push(card("竞聘岗位", "posts",
    h("p", { class: "window" + (open ? " open" : "") },
      open ? h("span", { class: "pill" }, T("报名中")) : h("span", { class: "pill closed" }, T("报名已截止")), " ",
      T("报名时间 {from} 至 {until}", { from: b.apply_from, until: b.apply_until }),
      open && b.change_until ? ` · ${T("可改报至 {date}", { date: b.change_until })}` : ""),
    h("ul", { class: "post-list" }, posts.map((p) => h("li", {},
      h("span", { class: "p-name" }, h("span", { class: "p-code" }, p.code), " ", postName(p.code) || p.name),
      h("span", { class: "p-open" }, T("职数"), " ", h("b", {}, p.openings)),
      p.applicants === undefined ? ""
        : h("span", { class: "p-count" }, T("报名人数"), " ", h("b", { class: "count", "data-code": p.code }, p.applicants)),
    )))));
  const qualified = items(b, "qualified").slice().sort((x, y) => String(x.post_code).localeCompare(String(y.post_code)));
  if (qualified.length) {
    sections.push(card("资格审查通过人员", "qualified", table(["岗位", "姓名", "身份证号"],
      qualified.map((q) => h("tr", {}, h("td", {}, q.post_code ? `${q.post_code} ${postName(q.post_code)}` : ""),
        h("td", { class: "name" }, q.name), h("td", { class: "mono" }, q.id_masked || q.masked_id || q.id_number || ""))))));
  }
  const scores = items(b.ranking || b.scores || b, "positions", "scores");
  const scored = scores.filter((p) => items(p, "ranking").length);
  if (scored.length) {
    sections.push(card("面试成绩", "scores", scored.map((p) => h("div", { class: "score-post" },
      h("h3", {}, `${p.code} ${p.name || postName(p.code)}`),
      table(["#名次", "姓名", "#面试得分", "#总成绩"], items(p, "ranking").map((r) => h("tr", { class: r.shortlisted ? "short" : "" },
        h("td", { class: "num" }, r.rank), h("td", { class: "name" }, r.candidate_name || r.name),
        h("td", { class: "num" }, r.interview ?? ""), h("td", { class: "num strong" }, r.total ?? ""))))))));
  }
  const inspection = items(b, "inspection", "inspection_list", "shortlist");
  if (inspection.length) {
    sections.push(card("考察对象", "inspection", table(["岗位", "姓名"],
      inspection.map((x) => h("tr", {}, h("td", {}, `${x.post_code || ""} ${postName(x.post_code)}`), h("td", { class: "name" }, x.name || x.candidate_name))))));
  }
  const pub = b.publicity;
  if (pub && pub.published_on) {
    sections.unshift(card("拟聘用人员公示", "publicity",
      h("p", { class: "period" }, T("公示期"), "：", h("b", {}, pub.published_on), " — ", h("b", { class: "ends" }, pub.ends_on)),
      table(["岗位", "姓名"], items(pub, "appointees").length
        ? items(pub, "appointees").map((a) => h("tr", {}, h("td", {}, `${a.post_code} ${postName(a.post_code) || a.post_name || ""}`), h("td", { class: "name" }, a.name)))
        : [h("tr", {}, h("td", { colspan: 2, class: "none" }, T("暂无")))]),
      h("p", { class: "small" }, T("公示期间如有异议，请向领导小组办公室反映。"))));
  }
  return h("article", { class: "batch" },
    h("h2", { class: "batch-name" }, b.name, b.scope ? h("span", { class: "scope" }, T(SCOPE[b.scope] || b.scope)) : ""),
    h("div", { class: "cards" }, sections));
}

let failures = 0;
let timer = null;

async function refresh() {
  let response;
  try {
    response = await fetch(API, { headers: { "Accept-Language": CONFIG.lang === "en" ? "en" : "zh-CN" }, cache: "no-store" });
  } catch (err) {
    failures += 1;
    document.getElementById("board-status").textContent = T("连接中断，正在重试…");
    return schedule();
  }
  if (response.status === 404 || response.status === 403 || response.status === 401) {
    document.getElementById("board").replaceChildren();
    document.getElementById("board-invalid").hidden = false;
    return; // a wrong link stays wrong: stop asking
  }
  if (!response.ok) {
    failures += 1;
    document.getElementById("board-status").textContent = T("连接中断，正在重试…");
    return schedule();
  }
  failures = 0;
  const data = await response.json();
  const qr = document.getElementById("board-qr");
  if (!qr.getAttribute("src")) {
    qr.src = API.replace("/api/board/", "/board/") + "/qr.svg";
    qr.closest("figure").hidden = false;
  }
  const campaign = data.campaign || data;
  POSTS = items(data, "posts");
  document.getElementById("board-title").textContent = `${campaign.title || ""} · ${T("公告栏")}`;
  document.title = `${campaign.title || ""} · ${T("公告栏")}`;
  // Newest batch first: that is the one people come to read.
  const batches = items(data, "batches").slice().reverse();
  const main = document.getElementById("board");
  main.replaceChildren(...(batches.length ? batches.map(renderBatch) : [h("p", { class: "empty" }, T("暂无"))]));
  main.setAttribute("aria-busy", "false");
  const now = new Date();
  document.getElementById("board-updated").textContent = T("更新于 {time}", { time: now.toLocaleTimeString(CONFIG.lang === "en" ? "en-GB" : "zh-CN", { hour12: false }) })
    + " · " + T("每 10 秒自动更新");
  document.getElementById("board-status").textContent = "";
  schedule();
}

function schedule() {
  clearTimeout(timer);
  const wait = Math.min(60, (CONFIG.poll || 10) * Math.max(1, failures)) * 1000;
  timer = setTimeout(refresh, wait);
}

document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
refresh();
