/** The one stylesheet, served as /assets/pages.css: system fonts, no images, no external requests. */
export const PAGES_CSS = `
:root {
  --ink: #1f2430; --muted: #5f6675; --line: #dde1e8; --bg: #f4f6f9; --card: #fff;
  --accent: #2f5bd3; --accent-ink: #fff; --danger: #b42318; --ok: #1d7a46; --warn: #9a6700;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 1.5rem; margin: 4px 0 16px; }
h2 { font-size: 1.15rem; margin: 0 0 6px; }
h3 { font-size: 1rem; margin: 18px 0 8px; }
a { color: var(--accent); }
code { font-size: 0.9em; background: var(--bg); padding: 1px 4px; border-radius: 4px; }
[hidden] { display: none !important; }

.topbar { display: flex; align-items: center; justify-content: space-between; gap: 16px;
  padding: 10px 24px; background: #172036; color: #fff; }
.topbar a { color: #fff; }
.brand { font-weight: 700; text-decoration: none; letter-spacing: 0.01em; }
.account { display: flex; align-items: center; gap: 14px; }
.account form { margin: 0; }
.who { display: inline-flex; align-items: center; gap: 6px; }
.management { font-weight: 600; }

.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 0 0 18px; }
.card.narrow { max-width: 420px; margin: 40px auto; }
.hint, .aside, .empty { color: var(--muted); font-size: 0.9rem; }
.aside { margin-top: 16px; }
.you { color: var(--muted); font-size: 0.85rem; }

.stack { display: flex; flex-direction: column; gap: 12px; }
.stack label { display: flex; flex-direction: column; gap: 4px; font-weight: 600; font-size: 0.9rem; }
.row-form { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 10px; margin-top: 12px; }
.row-form label { display: flex; flex-direction: column; gap: 4px; font-weight: 600; font-size: 0.85rem; }
.row-form .form-error { flex-basis: 100%; }
.inline-form { display: inline-flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 0; }
.inline-form .form-error { flex-basis: 100%; }

input, select { font: inherit; font-weight: 400; padding: 7px 9px; border: 1px solid #c4cad4; border-radius: 6px; background: #fff; color: var(--ink); min-width: 0; }
input:focus, select:focus, button:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.inline-form input, .inline-form select { padding: 4px 6px; }

button, .button { font: inherit; font-weight: 600; padding: 7px 14px; border-radius: 6px; border: 1px solid #c4cad4;
  background: #fff; color: var(--ink); cursor: pointer; text-decoration: none; display: inline-block; }
button:disabled { opacity: 0.6; cursor: progress; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.danger { color: var(--danger); border-color: #e5b4ae; }
button.small { padding: 3px 10px; font-size: 0.85rem; }
button.idp { width: 100%; background: #fff; border-color: #9aa3b2; }
.link-button { background: none; border: 0; padding: 0; color: #fff; text-decoration: underline; font-weight: 400; }
.idps { display: flex; flex-direction: column; gap: 8px; }
.idps form { margin: 0; }

.divider { display: flex; align-items: center; gap: 10px; color: var(--muted); font-size: 0.85rem; margin: 16px 0; }
.divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--line); }

.alert { padding: 9px 12px; border-radius: 6px; margin: 0 0 12px; font-size: 0.92rem; }
.alert-error { background: #fdecea; color: var(--danger); border: 1px solid #f3c2bc; }
.alert-ok { background: #e8f5ee; color: var(--ok); border: 1px solid #b7dfc7; }
.alert-warn { background: #fff6e0; color: var(--warn); border: 1px solid #efd9a0; }
.form-error { color: var(--danger); margin: 0; font-size: 0.9rem; }

/* A table never widens the page: it scrolls inside its card, and on a phone its rows become blocks. */
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; margin-top: 8px; font-size: 0.92rem; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 600; font-size: 0.82rem; text-transform: uppercase; letter-spacing: 0.03em; }
td.actions { text-align: right; white-space: nowrap; }
td.actions > * { vertical-align: middle; }
td.details { font-size: 0.8rem; color: var(--muted); word-break: break-word; }
.expired { color: var(--danger); }
details.set-password { display: inline-block; margin-right: 6px; text-align: left; }
details.set-password summary { cursor: pointer; color: var(--accent); font-size: 0.85rem; }

.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }

.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.03em;
  background: #e9edf5; color: #33405a; }
.badge-admin { background: #fde8d7; color: #8a3b00; }
.badge-member { background: #e0ecff; color: #1f4aa8; }
.badge-viewer { background: #e9edf5; color: #45506a; }

.new-key { margin-top: 14px; padding: 12px 14px; border: 1px solid #b7dfc7; background: #f0faf4; border-radius: 8px; }
.new-key p { margin: 0 0 8px; }
.copy-row { display: flex; gap: 8px; margin-bottom: 10px; }
.copy-row input { flex: 1; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.8rem; }

dd, td { overflow-wrap: break-word; }

/* Two-factor authentication: the QR code, the key, the one-time recovery codes. */
button.link { background: none; border: 0; padding: 2px 0; color: var(--accent); text-decoration: underline; font-weight: 400; }
.stack > p.hint { margin: 0; }
.mfa-alternatives { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; margin-top: 14px; }
.mfa-enrol { margin-top: 12px; }
.mfa-enrol:focus { outline: none; }
.steps { margin: 0; padding-left: 1.3em; display: flex; flex-direction: column; gap: 10px; }
.steps p { margin: 0 0 6px; }
.qr-wrap { margin: 4px 0; }
.mfa-qr { display: block; width: 200px; max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
.recovery-box { margin-top: 14px; padding: 12px 14px; border: 1px solid #b7dfc7; background: #f0faf4; border-radius: 8px; }
.recovery-box p { margin: 0 0 10px; }
.recovery-title:focus { outline: none; }
.recovery-codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(11.5em, 1fr)); gap: 4px 18px; margin: 0 0 12px; padding-left: 2em; }
.recovery-codes code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.95rem; background: none; padding: 0; }
label.check, .stack label.check { display: flex; flex-direction: row; align-items: center; gap: 8px; font-weight: 400; margin: 0 0 10px; }
strong.on { color: var(--ok); }
.badge-mfa { background: #e8f5ee; color: var(--ok); }
#mfa-few-codes .button, #mfa-few-codes button { margin: 0 8px 8px 0; }

@media (max-width: 640px) {
  main { padding: 14px 12px 40px; }
  .topbar { flex-wrap: wrap; gap: 8px 12px; padding: 10px 12px; }
  .account { flex-wrap: wrap; gap: 8px 12px; }
  .card { padding: 14px 12px; }
  .card.narrow { margin: 16px auto; }
  .row-form label { flex: 1 1 100%; }
  .row-form input, .row-form select { width: 100%; }
  table.rows, table.rows tbody, table.rows tr, table.rows td { display: block; width: 100%; }
  table.rows thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.rows tr { padding: 8px 0; border-bottom: 1px solid var(--line); }
  table.rows td { border: 0; padding: 3px 0; overflow-wrap: anywhere; }
  dd { overflow-wrap: anywhere; }
  table.rows td[data-label]::before { content: attr(data-label); display: inline-block; width: 9.5em; color: var(--muted);
    font-size: 0.75rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.03em; white-space: nowrap; overflow-wrap: normal; }
  table.rows td.actions { text-align: left; white-space: normal; padding-top: 6px; }
  details.set-password { display: block; margin: 0 0 6px; }
  .copy-row { flex-wrap: wrap; }
}

.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
