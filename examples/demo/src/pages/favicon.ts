/** The demo's icon: a gate in the top bar's colours, as SVG (served as /favicon.ico and /assets/favicon.svg). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#172036"/>
<path d="M8 26V12a8 8 0 0 1 16 0v14" fill="none" stroke="#fff" stroke-width="3"/>
<path d="M16 12v14M8 19h16" stroke="#2f5bd3" stroke-width="3"/>
</svg>
`;
