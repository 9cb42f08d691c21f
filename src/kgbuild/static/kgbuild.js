// Enhancement only: the page works without it. Ctrl/Cmd+Enter in the editor runs the query.
document.addEventListener("DOMContentLoaded", () => {
  const editor = document.getElementById("query");
  if (!editor) return;
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      document.getElementById("query-form").submit();
    }
  });
});
