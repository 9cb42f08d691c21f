// Enhancement only: the explore pages read without it (fact links are #fragment links and CSS :target marks the
// sentence). With it: hovering a fact shows its sentences, clicking a fact or a sentence marks both sides.
document.addEventListener("DOMContentLoaded", () => {
  const text = document.getElementById("article-text");
  if (!text) return;
  const pieces = (id) => text.querySelectorAll(`mark.ev[data-ev="${CSS.escape(id)}"]`);
  const evsOf = (row) => (row.dataset.evs || "").split(/\s+/).filter(Boolean);
  const clear = (cls) => document.querySelectorAll(`.${cls}`).forEach((el) => el.classList.remove(cls));

  function activate(spanIds, rows, links) {
    clear("active");
    spanIds.forEach((id) => pieces(id).forEach((m) => m.classList.add("active")));
    rows.forEach((r) => r.classList.add("active"));
    (links || []).forEach((a) => a.classList.add("active"));
  }

  document.querySelectorAll("tr.fact").forEach((row) => {
    row.addEventListener("mouseenter", () => evsOf(row).forEach((id) => pieces(id).forEach((m) => m.classList.add("hover"))));
    row.addEventListener("mouseleave", () => clear("hover"));
  });
  // A rule link: its sentence, the fact's row; the #fragment still scrolls to it (and works without JS).
  document.querySelectorAll("a.evlink").forEach((link) => {
    link.addEventListener("click", () => {
      const row = link.closest("tr.fact");
      activate([link.dataset.ev], row ? [row] : [], [link]);
      const first = pieces(link.dataset.ev)[0];
      if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
    });
  });
  // A sentence: the facts it supports.
  text.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.ev");
    if (!mark) return;
    const ids = (mark.dataset.facts || "").split(/\s+/).filter(Boolean);
    const rows = ids.map((id) => document.getElementById(id)).filter(Boolean);
    const links = [...document.querySelectorAll(`a.evlink[data-ev="${CSS.escape(mark.dataset.ev)}"]`)];
    activate([mark.dataset.ev], rows, links);
    if (rows[0]) rows[0].scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
  // Arriving with #ev-… or #f-… in the address: mark it the same way.
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && target.matches("mark.ev")) activate([target.dataset.ev], [], []);
  if (target && target.matches("tr.fact")) activate(evsOf(target), [target], []);
});
