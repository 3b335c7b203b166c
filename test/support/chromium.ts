/**
 * What the browser tests share: Debian's Chromium (CHROMIUM_PATH overrides), the flags it runs with
 * headless in CI, and the page-side check for controls pushed off a narrow viewport.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * No sandbox (CI runs as root), no GPU, and nothing that reaches the network on its own (without
 * the background-networking flags Chromium keeps dialling Google's hosts on a closed network).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Every visible control that ends past either edge of the viewport; run in the page.
export const OFF_SCREEN = `[...document.querySelectorAll('button, select, input:not([type=hidden]), summary, a, img')]
  .filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && (box.right > window.innerWidth + 0.5 || box.left < -0.5);
  })
  .map((element) => element.tagName.toLowerCase() + ' ' + (element.getAttribute('aria-label') || element.textContent.trim()))`;
