import { html } from './html.js';
import { htmlResponse, layout } from './layout.js';

/** The 404 a browser sees (it asked for HTML); API clients get the JSON error instead, see app.ts. */
export function notFoundPage(root: string): Response {
  const body = html`<section class="card narrow">
    <h1>Page not found</h1>
    <p>There is no page at this address.</p>
    <p><a class="button" href="${root}/settings">Go to settings</a></p>
  </section>`;
  return htmlResponse(layout({ title: 'Page not found', root, body }), 404);
}
